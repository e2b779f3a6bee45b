"""Revision 0007 adds the ActivityPub tables to a 0006 database in place, keeping its rows,
and goes back down cleanly (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from p2pvalue.store.database import MIGRATIONS, head_revision, make_engine, migrate, sqlite_url

AP_TABLES = {"ap_followers", "ap_deliveries"}


@pytest.fixture
def engine(tmp_path: Path, database_url: str | None) -> Iterator[Engine]:
    created = make_engine(database_url or sqlite_url(tmp_path / "upgrade.db"))
    yield created
    created.dispose()


def _run(engine: Engine, verb: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, verb)(config, revision)


def test_a_0006_database_keeps_its_outbox_and_gains_the_activitypub_tables(
    engine: Engine,
) -> None:
    _run(engine, "upgrade", "0006")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO outbox (url, space, event_id, attempts, next_at)"
            " VALUES ('https://peer.example', 's1', 'e1', 0, 5)"
        ))  # fmt: skip

    migrate(engine)

    inspector = inspect(engine)
    assert set(inspector.get_table_names()) >= AP_TABLES
    assert {i["name"] for i in inspector.get_indexes("ap_deliveries")} == {"ix_ap_deliveries_due"}
    assert inspector.get_pk_constraint("ap_followers")["constrained_columns"] == ["space", "actor"]
    with engine.begin() as conn:
        assert list(conn.execute(text("SELECT url, event_id FROM outbox"))) == [
            ("https://peer.example", "e1")]  # fmt: skip
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()

    _run(engine, "downgrade", "0006")

    assert not AP_TABLES & set(inspect(engine).get_table_names())
