"""Fixtures for the HTTP layer: an in-process API client on each backend, and a live site."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from serving import loopback, served
from web.client import ApiClient

with warnings.catch_warnings():
    # Starlette asks for httpx2; the project pins httpx, which still works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

STARTUP_SECONDS = 10
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def api(node: Node) -> Iterator[ApiClient]:
    """The node's app behind real HTTP semantics, in-process; on SQLite and PostgreSQL."""
    with TestClient(create_app(node)) as client:
        yield ApiClient(client)


@pytest.fixture
def site(sqlite_node: Node) -> Iterator[str]:
    """The base URL of the node's app served by uvicorn on a free local port."""
    with served(create_app(sqlite_node), loopback(), ws="websockets-sansio") as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
