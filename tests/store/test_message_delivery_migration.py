"""Revision 0009 gives the messages of a 0008 database their digests (a message stored twice
kept once), adds the delivery state and `message_outbox`, and goes back down cleanly
(SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from migrating import alembic
from p2pvalue.events.keys import KeyPair
from p2pvalue.social.messages import digest, seal
from p2pvalue.store.database import head_revision, migrate


def test_a_0008_database_gains_digests_and_the_message_outbox(engine: Engine) -> None:
    alembic(engine, "upgrade", "0008")
    ana, ben = KeyPair.generate().did, KeyPair.generate().did
    once, twice = seal(ben, b"a"), seal(ben, b"b")
    insert = text(
        "INSERT INTO messages (sender, recipient, ciphertext, signature, sent_at, sender_keeps,"
        " recipient_keeps) VALUES (:s, :r, :c, :g, :t, :sk, :rk)"
    )
    rows = [(once, True, True), (twice, True, False), (twice, False, True)]
    with engine.begin() as conn:
        for at, (sealed, sender_keeps, recipient_keeps) in enumerate(rows):
            conn.execute(insert, {"s": ana, "r": ben, "c": sealed, "g": b"sig", "t": at,
                                  "sk": sender_keeps, "rk": recipient_keeps})  # fmt: skip

    migrate(engine)

    inspector = inspect(engine)
    assert "message_outbox" in inspector.get_table_names()
    indexes = {i["name"]: i for i in inspector.get_indexes("messages")}
    assert bool(indexes["ix_messages_digest"]["unique"]) is True
    with engine.begin() as conn:
        kept = list(conn.execute(text(
            "SELECT sent_at, digest, sender_keeps, recipient_keeps, delivery FROM messages"
            " ORDER BY id"
        )))  # fmt: skip
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
    assert [(t, d, bool(s), bool(r), v) for t, d, s, r, v in kept] == [
        (0, digest(ana, ben, once), True, True, None),
        (1, digest(ana, ben, twice), True, True, None),  # the two copies, kept by both sides
    ]  # fmt: skip

    alembic(engine, "downgrade", "0008")

    assert "message_outbox" not in inspect(engine).get_table_names()
    assert {c["name"] for c in inspect(engine).get_columns("messages")} >= {"ciphertext"}
    assert "digest" not in {c["name"] for c in inspect(engine).get_columns("messages")}
