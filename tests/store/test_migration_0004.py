"""Revision 0004 (sealed direct messages) upgrades a database at 0003 in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from p2pvalue.store.database import MIGRATIONS, make_engine, migrate, sqlite_url


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


def test_a_0003_database_keeps_its_follows_and_gains_the_messages_table(engine: Engine) -> None:
    _upgrade_to(engine, "0003")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO follows (follower, kind, target, created_at)"
            " VALUES ('did:key:zA', 'space', 's1', 5)"
        ))  # fmt: skip

    migrate(engine)

    inspector = inspect(engine)
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("messages")}
    assert indexes == {
        "ix_messages_recipient_id": ["recipient", "id"],
        "ix_messages_sender_id": ["sender", "id"],
    }
    with engine.begin() as conn:
        assert list(conn.execute(text("SELECT follower, target FROM follows"))) == [
            ("did:key:zA", "s1")]  # fmt: skip
        assert conn.scalar(text("SELECT count(*) FROM messages")) == 0
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0004"
