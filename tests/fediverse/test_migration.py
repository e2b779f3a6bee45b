"""Revision 0007 adds the ActivityPub tables to a 0006 database in place, keeping its rows,
and goes back down cleanly (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from migrating import alembic
from p2pvalue.store.database import head_revision, migrate

AP_TABLES = {"ap_followers", "ap_deliveries"}


def test_a_0006_database_keeps_its_outbox_and_gains_the_activitypub_tables(
    engine: Engine,
) -> None:
    alembic(engine, "upgrade", "0006")
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

    alembic(engine, "downgrade", "0006")

    assert not AP_TABLES & set(inspect(engine).get_table_names())


def test_revision_0012_adds_the_replies_table_and_takes_it_away(engine: Engine) -> None:
    alembic(engine, "upgrade", "0011")
    migrate(engine)

    inspector = inspect(engine)
    # PostgreSQL lists the unique constraint's index too.
    assert "ix_ap_replies_thread" in {i["name"] for i in inspector.get_indexes("ap_replies")}
    unique = [c["column_names"] for c in inspector.get_unique_constraints("ap_replies")]
    assert unique == [["note_id"]]

    alembic(engine, "downgrade", "0011")

    assert "ap_replies" not in inspect(engine).get_table_names()
