"""Engines and migrations: SQLite in WAL mode by default, PostgreSQL through a URL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError

MIGRATIONS = Path(__file__).parent / "migrations"
PING_AFTER_S = 5.0  # a pooled PostgreSQL connection idle longer is checked before use
IDLE_SINCE = "p2pvalue_idle_since"
WRITE_OPTION = "p2pvalue_write"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys, and writers that wait their turn."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "checkin", _idle_from)
        event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect))
        return engine
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _idle_from(dbapi_connection: Any, record: Any) -> None:
    record.info[IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dialect: Any, dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Check a pooled connection that waited more than `PING_AFTER_S` before it is used
    again (the server may have closed it); a dead one is replaced, and the request never
    sees it. One in steady use is not checked: a ping on every checkout was a round trip
    in each of the many short transactions of a request."""
    since = record.info.get(IDLE_SINCE)
    if since is None or time.monotonic() - since < PING_AFTER_S:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except Exception as error:
        raise DisconnectionError("the pooled connection is gone") from error


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before it returns, so an acknowledged event survives a power
    # loss too, not only a crashed process.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Erased content and removed messages are overwritten on disk, not left in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A write transaction takes the write lock when it starts rather than at its first
    # write, so concurrent writers queue instead of failing half-way with "database is
    # locked"; readers start deferred and, under WAL, never wait for a writer.
    immediate = connection.get_execution_options().get(WRITE_OPTION)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes: one writer at a time on SQLite, an ordinary one elsewhere."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            yield connection


def head_revision() -> str:
    """The newest Alembic revision: what `migrate` brings a database to."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


# The key of the advisory lock migrations take (any number the database uses for nothing else).
MIGRATION_LOCK = 0x703273766D696772


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision. On PostgreSQL, processes that start
    at once (the workers of one node) migrate one after the other: the first brings the
    schema up, the others then find it current."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
