"""SQL for direct messages: sealed boxes between members, each kept until both the sender
and the recipient have removed it (a side that lives on another node keeps nothing here),
and where this node knows a member lives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)

from p2pvalue.events.authority import MEMBER
from p2pvalue.store.schema import accounts, event_status, events, members, messages

HOME = "member.home"
HOMES_READ = 20  # the latest announcements read to find one that names a node


@dataclass(frozen=True)
class StoredMessage:
    id: int
    sender: str
    recipient: str
    ciphertext: bytes
    signature: bytes
    sent_at: int
    delivery: str | None = None
    sender_copy: bytes | None = None
    read_at: int | None = None


def message_of(row: Any) -> StoredMessage:
    copy = None if row.sender_copy is None else bytes(row.sender_copy)
    return StoredMessage(
        row.id, row.sender, row.recipient, bytes(row.ciphertext), bytes(row.signature),
        row.sent_at, row.delivery, copy, row.read_at,
    )  # fmt: skip


def is_known(conn: Connection, did: str) -> bool:
    """Whether `did` has an account here or is a member of some space here."""
    account = select(literal(1)).where(accounts.c.did == did)
    member = select(literal(1)).where(members.c.did == did, members.c.status == MEMBER)
    return conn.execute(account.union_all(member).limit(1)).first() is not None


def has_account(conn: Connection, did: str) -> bool:
    return conn.execute(select(literal(1)).where(accounts.c.did == did)).first() is not None


def home_of(conn: Connection, did: str) -> tuple[str, str] | None:
    """(node did, URL) of the latest home `did` announced in any space here, if any."""
    query = (
        select(events.c.body, events.c.plain)
        .join(event_status, event_status.c.id == events.c.id)
        .where(events.c.author == did, events.c.type == HOME, event_status.c.accepted.is_(True))
        .order_by(events.c.ts.desc(), events.c.seq.desc())
        .limit(HOMES_READ)
    )
    for body, plain in conn.execute(query):
        for stored in (plain, body):
            home = _home_in(stored)
            if home is not None:
                return home
    return None


def _home_in(stored: bytes | None) -> tuple[str, str] | None:
    """The home an event (or, for a private space, its opened content) names."""
    if stored is None:
        return None
    try:
        found = orjson.loads(stored)
    except orjson.JSONDecodeError:
        return None
    for content in (found.get("content"), found) if isinstance(found, dict) else ():
        if isinstance(content, dict):
            node, url = content.get("node"), content.get("url")
            if isinstance(node, str) and isinstance(url, str):
                return node, url.rstrip("/")
    return None


def by_digest(conn: Connection, digest: str) -> StoredMessage | None:
    row = conn.execute(select(messages).where(messages.c.digest == digest)).first()
    return None if row is None else message_of(row)


def add(
    conn: Connection, sender: str, recipient: str, ciphertext: bytes, signature: bytes,
    at: int, *, digest: str, delivery: str | None = None, sender_keeps: bool = True,
    recipient_keeps: bool = True, sender_copy: bytes | None = None,
) -> StoredMessage:  # fmt: skip
    row = {
        "sender": sender, "recipient": recipient, "ciphertext": ciphertext,
        "signature": signature, "sent_at": at, "sender_keeps": sender_keeps,
        "recipient_keeps": recipient_keeps, "digest": digest, "delivery": delivery,
        "sender_copy": sender_copy,
    }  # fmt: skip
    inserted = conn.execute(insert(messages).values(row)).inserted_primary_key
    assert inserted is not None
    return StoredMessage(int(inserted[0]), sender, recipient, ciphertext, signature, at, delivery,
                         sender_copy)  # fmt: skip


def keep_sent(conn: Connection, digest: str, delivery: str | None) -> None:
    """Put a message its sender sends again back in their view, with its delivery state."""
    values: dict[str, Any] = {"sender_keeps": True}
    if delivery is not None:
        values["delivery"] = delivery
    conn.execute(update(messages).where(messages.c.digest == digest).values(values))


def set_delivery(conn: Connection, digest: str, delivery: str) -> None:
    conn.execute(update(messages).where(messages.c.digest == digest).values(delivery=delivery))


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
    return [message_of(row) for row in conn.execute(query)]


def latest_per_other(conn: Connection, did: str, limit: int) -> list[StoredMessage]:
    """The newest message `did` keeps with each member they wrote to or heard from, the
    most recent conversation first, at most `limit` of them."""
    sent = select(messages.c.recipient.label("other"), messages.c.id).where(
        messages.c.sender == did, messages.c.sender_keeps.is_(True))  # fmt: skip
    received = select(messages.c.sender.label("other"), messages.c.id).where(
        messages.c.recipient == did, messages.c.recipient_keeps.is_(True))  # fmt: skip
    both = union_all(sent, received).subquery()
    last = func.max(both.c.id)
    ids = select(last).group_by(both.c.other).order_by(last.desc()).limit(limit)
    rows = conn.execute(
        select(messages).where(messages.c.id.in_(ids)).order_by(messages.c.id.desc())
    )
    return [message_of(row) for row in rows]


def unread_by_sender(conn: Connection, did: str) -> dict[str, int]:
    """How many messages `did` received and keeps but has not read, by sender."""
    query = (
        select(messages.c.sender, func.count())
        .where(messages.c.recipient == did, messages.c.recipient_keeps.is_(True))
        .where(messages.c.read_at.is_(None))
        .group_by(messages.c.sender)
    )
    return {sender: int(count) for sender, count in conn.execute(query)}


def mark_read(conn: Connection, did: str, sender: str, at: int) -> int:
    """Mark what `sender` wrote to `did` read at `at`; how many were unread."""
    unread = and_(messages.c.recipient == did, messages.c.sender == sender,
                  messages.c.read_at.is_(None))  # fmt: skip
    return int(conn.execute(update(messages).where(unread).values(read_at=at)).rowcount)


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
