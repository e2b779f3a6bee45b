"""Fixtures for the HTTP layer: an in-process API client on each backend.

Password hashing keeps real argon2id but with light parameters: every test here signs people
up and logs them in, and the default cost (~0.3 s a user) would dominate the run.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from web.client import ApiClient

with warnings.catch_warnings():
    # Starlette asks for httpx2; the project pins httpx, which still works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


def light_hashing(node: Node) -> Node:
    """The same node with cheap argon2id parameters, for tests that create many users."""
    node.accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return node


@pytest.fixture
def api(node: Node) -> Iterator[ApiClient]:
    """The node's app behind real HTTP semantics, in-process; on SQLite and PostgreSQL."""
    with TestClient(create_app(light_hashing(node))) as client:
        yield ApiClient(client)
