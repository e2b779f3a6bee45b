"""Fixtures of the accounts and bad-input attack tests, named apart from the web tests'
(`http_api` is `web.conftest.api`)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from web.client import ApiClient

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture(name="http_api")
def http_api_fixture(node: Node) -> Iterator[ApiClient]:
    """The node's app behind real HTTP semantics, in-process; on SQLite and PostgreSQL."""
    with TestClient(create_app(node)) as client:
        yield ApiClient(client)
