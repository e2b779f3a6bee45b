"""Fixtures of the accounts and bad-input attack tests, named apart from the web tests'
(`http_api` is `web.conftest.api`; `chromium` a browser of their own)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from web.client import ApiClient
from web.conftest import CHROMIUM, CHROMIUM_ARGS

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture(name="http_api")
def http_api_fixture(node: Node) -> Iterator[ApiClient]:
    """The node's app behind real HTTP semantics, in-process; on SQLite and PostgreSQL."""
    with TestClient(create_app(node)) as client:
        yield ApiClient(client)


@pytest.fixture(name="chromium", scope="module")
def chromium_fixture() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
