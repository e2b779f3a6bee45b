"""Revision 0003 (profiles, follows, feed indexes) upgrades a database at 0002 in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from p2pvalue.store.database import MIGRATIONS, make_engine, sqlite_url


@pytest.fixture
def engine(tmp_path: Path, database_url: str | None) -> Iterator[Engine]:
    created = make_engine(database_url or sqlite_url(tmp_path / "upgrade.db"))
    yield created
    created.dispose()


def _upgrade_to(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_a_0002_database_keeps_its_events_and_gains_the_social_tables(engine: Engine) -> None:
    _upgrade_to(engine, "0002")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO events (id, space, type, author, depth, ts, body)"
            " VALUES ('e1', 's1', 'post.create', 'did:key:zA', 1, 5, :body)"
        ), {"body": b"{}"})  # fmt: skip
        conn.execute(text(
            "INSERT INTO members (space, did, status, roles, since) VALUES ('s1', 'did:key:zA',"
            " 'member', '[]', 'e0')"
        ))  # fmt: skip

    _upgrade_to(engine, "0003")

    inspector = inspect(engine)
    assert {"profile_fields", "follows"} <= set(inspector.get_table_names())
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("events")}
    assert indexes["ix_events_space_ts"] == ["space", "ts", "seq"]
    assert indexes["ix_events_author_ts"] == ["author", "ts", "seq"]
    assert "ix_members_did" in {i["name"] for i in inspector.get_indexes("members")}
    with engine.begin() as conn:
        assert list(conn.execute(text("SELECT id, space, ts FROM events"))) == [("e1", "s1", 5)]
        assert conn.scalar(text("SELECT count(*) FROM members")) == 1
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0003"
