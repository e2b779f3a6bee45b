"""SQL for a member's data export: everything this node holds about one member, read by
their did (or account id) through the indexes that start from it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, and_, or_, select

from p2pvalue.store.events import LOAD_CHUNK
from p2pvalue.store.messages import StoredMessage, message_of
from p2pvalue.store.schema import (
    accounts,
    doc_clients,
    event_status,
    events,
    members,
    messages,
    spaces,
)


@dataclass(frozen=True)
class AccountRecord:
    username: str
    did: str
    created_at: int


@dataclass(frozen=True)
class MembershipRecord:
    space: str
    name: str
    status: str
    roles: list[str]
    since: str


def account_record(conn: Connection, account_id: int) -> AccountRecord | None:
    """The account's public facts (never its password hash or sealed key)."""
    query = select(accounts.c.username, accounts.c.did, accounts.c.created_at).where(
        accounts.c.id == account_id
    )
    row = conn.execute(query).first()
    return AccountRecord(row.username, row.did, int(row.created_at)) if row else None


def memberships(conn: Connection, did: str) -> list[MembershipRecord]:
    """Every membership row of `did` (any status), oldest space first."""
    query = (
        select(members, spaces.c.name)
        .join(spaces, spaces.c.id == members.c.space)
        .where(members.c.did == did)
        .order_by(spaces.c.created_ts, spaces.c.id)
    )
    return [
        MembershipRecord(row.space, row.name, row.status, orjson.loads(row.roles), row.since)
        for row in conn.execute(query)
    ]


def authored(conn: Connection, did: str) -> Iterator[tuple[str, str, bytes, bytes | None]]:
    """(space, id, body, opened content) of every event `did` signed, by space id, each space's
    in its order (rejected ones too); reads `ix_events_author_ts` rather than every log.
    The opened content is that of a private space's event this node reads, else None."""
    query = (
        select(events.c.space, events.c.id, events.c.body, events.c.plain)
        .join(event_status, event_status.c.id == events.c.id, isouter=True)
        .where(events.c.author == did)
        .order_by(events.c.space, event_status.c.position, events.c.seq)
        .execution_options(yield_per=LOAD_CHUNK)
    )
    for row in conn.execute(query):
        plain = bytes(row.plain) if row.plain is not None else None
        yield row.space, row.id, bytes(row.body), plain


def kept_messages(conn: Connection, did: str) -> list[StoredMessage]:
    """The sealed messages `did` sent or received and has not removed, oldest first."""
    sent = and_(messages.c.sender == did, messages.c.sender_keeps.is_(True))
    received = and_(messages.c.recipient == did, messages.c.recipient_keeps.is_(True))
    query = select(messages).where(or_(sent, received)).order_by(messages.c.id)
    return [message_of(row) for row in conn.execute(query)]


def owned_clients(conn: Connection, did: str) -> dict[str, list[int]]:
    """The Yjs client ids `did` owns, by live document, both sorted."""
    query = (
        select(doc_clients.c.doc, doc_clients.c.client)
        .where(doc_clients.c.did == did)
        .order_by(doc_clients.c.doc, doc_clients.c.client)
    )
    found: dict[str, list[int]] = {}
    for row in conn.execute(query):
        found.setdefault(row.doc, []).append(int(row.client))
    return found
