"""SQL for ActivityPub: the fediverse followers of public spaces, the durable queue of
signed deliveries, the public events a space's outbox shows, and the replies fediverse
accounts sent to them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, delete, func, insert, select, update

from p2pvalue.store.events import StoredEvent
from p2pvalue.store.schema import (
    ap_deliveries,
    ap_followers,
    ap_replies,
    event_status,
    events,
    members,
)


@dataclass(frozen=True)
class Follower:
    space: str
    actor: str
    inbox: str
    shared_inbox: str | None
    follow_id: str


@dataclass(frozen=True)
class RemoteReply:
    """A reply from a fediverse account to a Note of `space` (the event `in_reply_to`),
    shown in `thread` when the Note is a thread's; `text` is plain text."""

    note_id: str
    space: str
    in_reply_to: str
    thread: str | None
    actor: str
    handle: str
    name: str
    profile_url: str
    text: str
    received_at: int
    updated_at: int | None = None


@dataclass(frozen=True)
class Delivery:
    id: int
    inbox: str
    actor: str
    body: bytes
    attempts: int


def follow(conn: Connection, follower: Follower, at: int) -> None:
    """Record `follower`, replacing an earlier follow of the same space by the same actor."""
    unfollow(conn, follower.space, follower.actor)
    row = {**follower.__dict__, "created_at": at}
    conn.execute(insert(ap_followers), [row])


def unfollow(conn: Connection, space: str, actor: str) -> int:
    """Forget that `actor` follows `space`; how many rows went (0 or 1)."""
    query = delete(ap_followers).where(ap_followers.c.space == space, ap_followers.c.actor == actor)
    return int(conn.execute(query).rowcount or 0)


def unfollow_by_id(conn: Connection, follow_id: str, actor: str) -> int:
    """Forget the follow whose activity id is `follow_id`, if `actor` made it."""
    query = delete(ap_followers).where(
        ap_followers.c.follow_id == follow_id, ap_followers.c.actor == actor
    )
    return int(conn.execute(query).rowcount or 0)


def followers(conn: Connection, space: str) -> list[Follower]:
    query = (
        select(ap_followers.c.space, ap_followers.c.actor, ap_followers.c.inbox,
               ap_followers.c.shared_inbox, ap_followers.c.follow_id)
        .where(ap_followers.c.space == space)
        .order_by(ap_followers.c.actor)
    )  # fmt: skip
    return [Follower(*row) for row in conn.execute(query)]


def follower_count(conn: Connection, space: str | None = None) -> int:
    """How many follows `space` has (None: all spaces together)."""
    query = select(func.count()).select_from(ap_followers)
    if space is not None:
        query = query.where(ap_followers.c.space == space)
    return int(conn.scalar(query) or 0)


def enqueue(conn: Connection, rows: Iterable[tuple[str, str, bytes]], at: int) -> int:
    """Queue (inbox, signing actor, body) deliveries, due at once; how many were queued."""
    values = [
        {"inbox": inbox, "actor": actor, "body": body, "attempts": 0, "next_at": at}
        for inbox, actor, body in rows
    ]
    if values:
        conn.execute(insert(ap_deliveries), values)
    return len(values)


def due(conn: Connection, now: int, limit: int) -> list[Delivery]:
    """The deliveries due by `now`, oldest first."""
    query = (
        select(ap_deliveries.c.id, ap_deliveries.c.inbox, ap_deliveries.c.actor,
               ap_deliveries.c.body, ap_deliveries.c.attempts)
        .where(ap_deliveries.c.next_at <= now)
        .order_by(ap_deliveries.c.id)
        .limit(limit)
    )  # fmt: skip
    return [Delivery(row.id, row.inbox, row.actor, bytes(row.body), row.attempts)
            for row in conn.execute(query)]  # fmt: skip


def delivered(conn: Connection, ids: Sequence[int]) -> None:
    conn.execute(delete(ap_deliveries).where(ap_deliveries.c.id.in_(ids)))


def failed(conn: Connection, delivery_id: int, next_at: int, error: str) -> None:
    conn.execute(
        update(ap_deliveries)
        .where(ap_deliveries.c.id == delivery_id)
        .values(attempts=ap_deliveries.c.attempts + 1, next_at=next_at, last_error=error[:200])
    )


def waiting(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(ap_deliveries)) or 0)


def public_events(
    conn: Connection, space: str, types: Iterable[str], *, before: int | None, limit: int
) -> list[StoredEvent]:
    """The space's accepted events of `types`, newest first, before a position (None: from
    the newest)."""
    query = (
        select(events.c.id, events.c.space, events.c.type, events.c.author, events.c.ts,
               events.c.body, event_status.c.position)
        .join(event_status, event_status.c.id == events.c.id)
        .where(events.c.space == space, event_status.c.accepted.is_(True))
        .where(events.c.type.in_(sorted(types)))
        .order_by(event_status.c.position.desc())
        .limit(limit)
    )  # fmt: skip
    if before is not None:
        query = query.where(event_status.c.position < before)
    return [
        StoredEvent(row.id, row.space, row.type, row.author, row.ts, orjson.loads(row.body),
                    row.position, True, None)
        for row in conn.execute(query)
    ]  # fmt: skip


def public_count(conn: Connection, space: str, types: Iterable[str]) -> int:
    query = (
        select(func.count())
        .select_from(events.join(event_status, event_status.c.id == events.c.id))
        .where(events.c.space == space, event_status.c.accepted.is_(True))
        .where(events.c.type.in_(sorted(types)))
    )
    return int(conn.scalar(query) or 0)


def authored_events(
    conn: Connection, author: str, spaces: Iterable[str], types: Iterable[str], *,
    before: int | None, limit: int,
) -> list[tuple[int, StoredEvent]]:  # fmt: skip
    """`author`'s accepted events of `types` in `spaces`, newest arrival first, each with
    its arrival number (`seq`, node-wide), before an arrival number (None: the newest)."""
    query = (
        select(events.c.seq, events.c.id, events.c.space, events.c.type, events.c.author,
               events.c.ts, events.c.body, event_status.c.position)
        .join(event_status, event_status.c.id == events.c.id)
        .where(events.c.author == author, events.c.space.in_(sorted(spaces)))
        .where(event_status.c.accepted.is_(True), events.c.type.in_(sorted(types)))
        .order_by(events.c.seq.desc())
        .limit(limit)
    )  # fmt: skip
    if before is not None:
        query = query.where(events.c.seq < before)
    return [
        (row.seq, StoredEvent(row.id, row.space, row.type, row.author, row.ts,
                              orjson.loads(row.body), row.position, True, None))
        for row in conn.execute(query)
    ]  # fmt: skip


def authored_count(
    conn: Connection, author: str, spaces: Iterable[str], types: Iterable[str]
) -> int:
    """How many accepted events of `types` `author` has in `spaces`."""
    query = (
        select(func.count())
        .select_from(events.join(event_status, event_status.c.id == events.c.id))
        .where(events.c.author == author, events.c.space.in_(sorted(spaces)))
        .where(event_status.c.accepted.is_(True), events.c.type.in_(sorted(types)))
    )
    return int(conn.scalar(query) or 0)


def spaces_of_member(conn: Connection, did: str) -> list[str]:
    """The spaces whose member list names `did`, whatever their status there now."""
    return sorted(conn.scalars(select(members.c.space).where(members.c.did == did)))


def member_dids(conn: Connection, space: str) -> list[str]:
    """Every did the space's member list names, whatever their status there now."""
    return sorted(conn.scalars(select(members.c.did).where(members.c.space == space)))


def add_reply(conn: Connection, reply: RemoteReply) -> bool:
    """Keep `reply` unless a reply with its Note id is already kept; whether it was added."""
    if reply_of(conn, reply.note_id) is not None:
        return False
    conn.execute(insert(ap_replies), [reply.__dict__])
    return True


def reply_of(conn: Connection, note_id: str) -> RemoteReply | None:
    """The reply kept under the Note id `note_id`, if any."""
    row = conn.execute(select(*_REPLY).where(ap_replies.c.note_id == note_id)).first()
    return RemoteReply(*row) if row is not None else None


def edit_reply(conn: Connection, note_id: str, text: str, at: int) -> None:
    query = update(ap_replies).where(ap_replies.c.note_id == note_id)
    conn.execute(query.values(text=text, updated_at=at))


def remove_reply(conn: Connection, note_id: str) -> int:
    """Forget the reply kept under `note_id`; how many rows went (0 or 1)."""
    query = delete(ap_replies).where(ap_replies.c.note_id == note_id)
    return int(conn.execute(query).rowcount or 0)


def thread_replies(conn: Connection, space: str, thread: str) -> list[RemoteReply]:
    """The replies shown in a thread of `space`, in the order they arrived."""
    query = (
        select(*_REPLY)
        .where(ap_replies.c.space == space, ap_replies.c.thread == thread)
        .order_by(ap_replies.c.id)
    )
    return [RemoteReply(*row) for row in conn.execute(query)]


def replies_to(conn: Connection, space: str, answered: Iterable[str]) -> list[RemoteReply]:
    """The replies kept to the events `answered` of `space`, in the order they arrived."""
    query = (
        select(*_REPLY)
        .where(ap_replies.c.space == space, ap_replies.c.in_reply_to.in_(sorted(answered)))
        .order_by(ap_replies.c.id)
    )
    return [RemoteReply(*row) for row in conn.execute(query)]


_REPLY = (
    ap_replies.c.note_id, ap_replies.c.space, ap_replies.c.in_reply_to, ap_replies.c.thread,
    ap_replies.c.actor, ap_replies.c.handle, ap_replies.c.name, ap_replies.c.profile_url,
    ap_replies.c.text, ap_replies.c.received_at, ap_replies.c.updated_at,
)  # fmt: skip
