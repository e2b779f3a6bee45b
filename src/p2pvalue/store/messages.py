"""SQL for direct messages: sealed boxes between members, each kept until both the sender
and the recipient have removed it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, insert, literal, or_, select, update

from p2pvalue.events.authority import MEMBER
from p2pvalue.store.schema import accounts, members, messages


@dataclass(frozen=True)
class StoredMessage:
    id: int
    sender: str
    recipient: str
    ciphertext: bytes
    signature: bytes
    sent_at: int


def is_known(conn: Connection, did: str) -> bool:
    """Whether `did` has an account here or is a member of some space here."""
    account = select(literal(1)).where(accounts.c.did == did)
    member = select(literal(1)).where(members.c.did == did, members.c.status == MEMBER)
    return conn.execute(account.union_all(member).limit(1)).first() is not None


def add(
    conn: Connection, sender: str, recipient: str, ciphertext: bytes, signature: bytes, at: int
) -> StoredMessage:
    row = {
        "sender": sender, "recipient": recipient, "ciphertext": ciphertext,
        "signature": signature, "sent_at": at, "sender_keeps": True, "recipient_keeps": True,
    }  # fmt: skip
    inserted = conn.execute(insert(messages).values(row)).inserted_primary_key
    assert inserted is not None
    return StoredMessage(int(inserted[0]), sender, recipient, ciphertext, signature, at)


def page(
    conn: Connection, did: str, other: str | None, before: int | None, limit: int
) -> list[StoredMessage]:
    """The `limit` newest messages `did` sent or received and still keeps (only those with
    `other`, when given), before the id `before`; each side reads its own index."""
    sent = and_(messages.c.sender == did, messages.c.sender_keeps.is_(True))
    received = and_(messages.c.recipient == did, messages.c.recipient_keeps.is_(True))
    if other is not None:
        sent = and_(sent, messages.c.recipient == other)
        received = and_(received, messages.c.sender == other)
    query = select(messages).where(or_(sent, received))
    if before is not None:
        query = query.where(messages.c.id < before)
    query = query.order_by(messages.c.id.desc()).limit(limit)
    return [
        StoredMessage(r.id, r.sender, r.recipient, bytes(r.ciphertext), bytes(r.signature),
                      r.sent_at)
        for r in conn.execute(query)
    ]  # fmt: skip


def remove(conn: Connection, did: str, message_id: int) -> bool | None:
    """Drop `did`'s side of a message: None if it is not in their view, else whether the
    row was erased because the other side had dropped it already."""
    sides = (
        (messages.c.sender, messages.c.sender_keeps, messages.c.recipient_keeps),
        (messages.c.recipient, messages.c.recipient_keeps, messages.c.sender_keeps),
    )
    for party, keeps, other_keeps in sides:
        mine = and_(messages.c.id == message_id, party == did, keeps.is_(True))
        if conn.execute(update(messages).where(mine).values({keeps.name: False})).rowcount:
            dropped = and_(messages.c.id == message_id, other_keeps.is_(False))
            return bool(conn.execute(delete(messages).where(dropped)).rowcount)
    return None
