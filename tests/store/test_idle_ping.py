"""A pooled PostgreSQL connection the server closed while it waited is found dead and
replaced before a request uses it; one in steady use is not pinged."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, event, text

from conftest import PG_ENV, reset_postgres
from p2pvalue.store import database
from p2pvalue.store.database import make_engine


@pytest.fixture
def url() -> str:
    found = os.environ.get(PG_ENV)
    if not found:
        pytest.skip(f"PostgreSQL not tested: {PG_ENV} is not set")
    return reset_postgres(found)


def test_a_connection_closed_while_idle_is_replaced(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, admin = make_engine(url), create_engine(url)
    try:
        with engine.connect() as conn:
            first = conn.scalar(text("SELECT pg_backend_pid()"))
        with admin.begin() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        monkeypatch.setattr(database, "PING_AFTER_S", 0.0)
        with engine.connect() as conn:
            again = conn.scalar(text("SELECT pg_backend_pid()"))
        assert again is not None and again != first
    finally:
        engine.dispose()
        admin.dispose()


def test_a_connection_in_steady_use_is_not_pinged(url: str) -> None:
    engine = make_engine(url)
    ran: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: ran.append(args[2]))
    try:
        for _ in range(3):
            with engine.begin() as conn:
                conn.execute(text("SELECT 1"))
        assert ran == ["SELECT 1"] * 3
    finally:
        engine.dispose()
