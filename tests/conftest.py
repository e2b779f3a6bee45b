"""Fixtures shared by every test: a real node on SQLite, and on PostgreSQL when configured.

Tests that take `node` run once per backend. The PostgreSQL run needs
P2PVALUE_TEST_DATABASE_URL (`.ci/run` sets it); without it those runs are skipped, and the
report header says so.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from clock import MovableClock
from p2pvalue import domains
from p2pvalue.config import init_data_dir
from p2pvalue.node import Node

pytest_plugins = ["migrating"]  # `engine`: an empty database, for the migration tests
PG_ENV = "P2PVALUE_TEST_DATABASE_URL"
BROWSER_FIXTURES = {"browser", "chromium"}
# Real argon2id with light costs: tests sign many people up, and the default costs (about
# 0.3 s a user here) would dominate the run.
LIGHT_HASHING = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def pytest_configure() -> None:
    """Read events with every domain's types, as a node does, in tests that build none."""
    domains.install()


def pytest_report_header() -> str:
    url = os.environ.get(PG_ENV)
    if url:
        return f"p2pvalue backends: SQLite and PostgreSQL ({url})"
    return f"p2pvalue backends: SQLite only — PostgreSQL NOT tested ({PG_ENV} is not set)"


def reset_postgres(url: str) -> str:
    """Empty the test database's public schema; the URL in SQLAlchemy psycopg form."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None for the embedded SQLite default, or a freshly emptied PostgreSQL database."""
    if request.param == "sqlite":
        return None
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL backend not tested: {PG_ENV} is not set")
    return reset_postgres(url)


@pytest.fixture
def node(tmp_path: Path, database_url: str | None) -> Iterator[Node]:
    """A real node in a temporary data folder, on each backend."""
    config = init_data_dir(tmp_path / "node", database_url)
    with Node(config, password_hasher=LIGHT_HASHING, clock=MovableClock()) as running:
        yield running


@pytest.fixture
def sqlite_node(tmp_path: Path) -> Iterator[Node]:
    """A real node on the embedded default only, for tests that need one backend."""
    config = init_data_dir(tmp_path / "node")
    with Node(config, password_hasher=LIGHT_HASHING, clock=MovableClock()) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that drive chromium run last, in their order: while its browser is open,
    Playwright's sync API keeps an event loop running in the main thread, inside which no
    later test could call `asyncio.run`."""
    items.sort(key=lambda item: bool(BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))))


@pytest.fixture(autouse=True)
def _collected_after(request: pytest.FixtureRequest) -> Iterator[None]:
    """Collect garbage after each PostgreSQL test, so that a connection it leaked is reported
    against it rather than against whichever later test the collector happens to run in."""
    yield
    if "postgresql" in request.node.name:
        gc.collect()


def redis_or_skip(database: int) -> str:
    """The test Redis (P2PVALUE_TEST_REDIS_URL, else database `database` of the local one),
    or the test skipped, saying so, when it does not answer."""
    url = os.environ.get("P2PVALUE_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{database}")
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    return url
