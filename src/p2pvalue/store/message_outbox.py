"""SQL for the sealed messages waiting to be delivered to other nodes: one row a message,
gone once its recipient's node took it, refused it, or the last attempt failed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update

from p2pvalue.store.schema import message_outbox


@dataclass(frozen=True)
class Queued:
    id: int
    digest: str
    url: str
    sender: str
    recipient: str
    ciphertext: bytes
    signature: bytes
    sent_at: int
    attempts: int


def enqueue(
    conn: Connection, digest: str, url: str, sender: str, recipient: str, ciphertext: bytes,
    signature: bytes, sent_at: int, at: int,
) -> None:  # fmt: skip
    """Queue a message for the node at `url`, due at `at`."""
    conn.execute(insert(message_outbox).values(
        digest=digest, url=url, sender=sender, recipient=recipient, ciphertext=ciphertext,
        signature=signature, sent_at=sent_at, attempts=0, next_at=at,
    ))  # fmt: skip


def due(conn: Connection, now: int, limit: int) -> list[Queued]:
    """The deliveries due by `now`, oldest first."""
    columns = [message_outbox.c[name] for name in Queued.__dataclass_fields__]
    query = (
        select(*columns)
        .where(message_outbox.c.next_at <= now)
        .order_by(message_outbox.c.id)
        .limit(limit)
    )
    return [
        Queued(r.id, r.digest, r.url, r.sender, r.recipient, bytes(r.ciphertext),
               bytes(r.signature), r.sent_at, r.attempts)
        for r in conn.execute(query)
    ]  # fmt: skip


def waiting(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(message_outbox)) or 0)


def done(conn: Connection, queued_id: int) -> None:
    conn.execute(delete(message_outbox).where(message_outbox.c.id == queued_id))


def failed(conn: Connection, queued_id: int, next_at: int, error: str) -> None:
    conn.execute(
        update(message_outbox)
        .where(message_outbox.c.id == queued_id)
        .values(attempts=message_outbox.c.attempts + 1, next_at=next_at, last_error=error[:200])
    )
