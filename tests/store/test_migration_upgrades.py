"""Each revision after the first upgrades a database holding rows in place: 0003 (profiles,
follows, feed indexes) from 0002, and 0004 (sealed direct messages) from 0003."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from migrating import alembic
from p2pvalue.store.database import head_revision, migrate


def test_a_0002_database_keeps_its_events_and_gains_the_social_tables(engine: Engine) -> None:
    alembic(engine, "upgrade", "0002")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO events (id, space, type, author, depth, ts, body)"
            " VALUES ('e1', 's1', 'post.create', 'did:key:zA', 1, 5, :body)"
        ), {"body": b"{}"})  # fmt: skip
        conn.execute(text(
            "INSERT INTO members (space, did, status, roles, since) VALUES ('s1', 'did:key:zA',"
            " 'member', '[]', 'e0')"
        ))  # fmt: skip

    alembic(engine, "upgrade", "0003")

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


def test_a_0003_database_keeps_its_follows_and_gains_the_messages_table(engine: Engine) -> None:
    alembic(engine, "upgrade", "0003")
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
        "ix_messages_digest": ["digest"],  # since 0009
    }
    with engine.begin() as conn:
        assert list(conn.execute(text("SELECT follower, target FROM follows"))) == [
            ("did:key:zA", "s1")]  # fmt: skip
        assert conn.scalar(text("SELECT count(*) FROM messages")) == 0
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
