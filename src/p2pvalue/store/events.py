"""SQL over the received events and the events waiting for their ancestors."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from p2pvalue.events.canonical import canonical
from p2pvalue.events.event import Event, erased_body, now_ms, parse_body
from p2pvalue.events.log import Entry
from p2pvalue.events.types import RANK_ORDINARY, installed
from p2pvalue.store.bulk import insert_rows
from p2pvalue.store.schema import (
    event_status,
    events,
    pending_events,
    pending_links,
)

LOAD_CHUNK = 50_000


def insert_events(conn: Connection, batch: Sequence[Event]) -> None:
    insert_rows(conn, events, [_row(event) for event in batch])


def _row(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "space": event.space,
        "type": event.type,
        "author": event.author,
        "depth": event.depth,
        "ts": event.ts,
        "body": event.body,
        "plain": canonical(dict(event.content)) if event.opened else None,
    }


def content_of(body: bytes, plain: bytes | None) -> dict[str, Any] | None:
    """An event's readable content: what its space key opened, else what it carries (None
    once erased; a sealed form on a node that cannot open it)."""
    if plain is not None:
        opened: dict[str, Any] = orjson.loads(plain)
        return opened
    content: dict[str, Any] | None = orjson.loads(body).get("content")
    return content


def privacy_of(conn: Connection, space: str) -> tuple[bool, bool]:
    """Whether a stored space is private, and whether this node reads it."""
    row = conn.execute(select(events.c.body, events.c.plain).where(events.c.id == space)).first()
    if row is None:
        return False, True
    private = "ciphertext" in (orjson.loads(row.body).get("content") or {})
    return private, row.plain is not None or not private


def sealed_bodies(conn: Connection, space: str) -> list[tuple[str, bytes]]:
    """(id, body) of every event of a space in arrival order (opening a space whose key
    this node just received)."""
    query = select(events.c.id, events.c.body).where(events.c.space == space)
    return [(row.id, bytes(row.body)) for row in conn.execute(query.order_by(events.c.seq))]


def set_plain(conn: Connection, opened: Sequence[tuple[str, bytes]]) -> None:
    conn.execute(
        update(events).where(events.c.id == bindparam("b_id")).values(plain=bindparam("b_plain")),
        [{"b_id": event_id, "b_plain": plain} for event_id, plain in opened],
    )


def erase_contents(conn: Connection, space: str, author: str, ids: Sequence[str]) -> list[str]:
    """Erase the content of those of `ids` that are `author`'s erasable events in `space`,
    keeping envelope and signature; the ids erased now."""
    query = select(events.c.id, events.c.type, events.c.body).where(
        events.c.space == space, events.c.author == author, events.c.id.in_(list(ids)),
        events.c.type.in_(sorted(installed().erasable)),
    )  # fmt: skip
    erased = []
    for row in conn.execute(query).all():
        body = bytes(row.body)
        stripped = erased_body(body)
        if stripped != body:
            values = {"body": stripped, "plain": None}
            conn.execute(update(events).where(events.c.id == row.id).values(values))
            erased.append(row.id)
    return erased


def erasable_of(conn: Connection, space: str, author: str, ids: Sequence[str]) -> set[str]:
    """Those of `ids` that are `author`'s events of an erasable type in `space`."""
    query = select(events.c.id).where(
        events.c.space == space, events.c.author == author, events.c.id.in_(list(ids)),
        events.c.type.in_(sorted(installed().erasable)),
    )  # fmt: skip
    return set(conn.scalars(query))


def authored_erasable(conn: Connection, space: str, author: str) -> list[str]:
    """`author`'s events of an erasable type in `space` whose content is still there."""
    query = select(events.c.id, events.c.body).where(
        events.c.space == space, events.c.author == author,
        events.c.type.in_(sorted(installed().erasable)),
    ).order_by(events.c.seq)  # fmt: skip
    return [row.id for row in conn.execute(query) if "content" in orjson.loads(row.body)]


def known_ids(conn: Connection, ids: Iterable[str]) -> set[str]:
    wanted = list(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(conn.scalars(select(events.c.id).where(events.c.id.in_(chunk))))
    return found


def entries(conn: Connection, space: str) -> Iterator[Entry]:
    """The log entries of a space in arrival order, streamed."""
    columns = (events.c.id, events.c.type, events.c.author, events.c.depth, events.c.ts,
               events.c.body, events.c.plain)  # fmt: skip
    query = (
        select(*columns)
        .where(events.c.space == space)
        .order_by(events.c.seq)
        .execution_options(yield_per=LOAD_CHUNK)
    )
    ranks = installed().ranks
    for event_id, type_, author, depth, ts, body, plain in conn.execute(query):
        wire = orjson.loads(body)
        content = None
        if ranks.get(type_, RANK_ORDINARY) != RANK_ORDINARY:
            content = orjson.loads(plain) if plain is not None else wire["content"]
        yield Entry(event_id, type_, author, tuple(wire["prev"]), depth, ts, content)


def space_ids(conn: Connection) -> list[str]:
    return list(conn.scalars(select(events.c.id).where(events.c.type == "space.create")))


def bodies(conn: Connection, space: str) -> Iterator[tuple[str, bytes]]:
    """(id, body) of every event of a space in the space's order (rejected ones too)."""
    query = (
        select(events.c.id, events.c.body)
        .join(event_status, event_status.c.id == events.c.id, isouter=True)
        .where(events.c.space == space)
        .order_by(event_status.c.position, events.c.seq)
        .execution_options(yield_per=LOAD_CHUNK)
    )
    for row in conn.execute(query):
        yield row.id, row.body


@dataclass(frozen=True)
class StoredEvent:
    id: str
    space: str
    type: str
    author: str
    ts: int
    wire: dict[str, Any]
    position: int | None
    accepted: bool | None
    reason: str | None
    # The readable content: the wire's, or what the space key opened of a sealed one.
    content: dict[str, Any] | None = None


def _stored_query() -> Any:
    return select(
        events.c.id,
        events.c.space,
        events.c.type,
        events.c.author,
        events.c.ts,
        events.c.body,
        events.c.plain,
        event_status.c.position,
        event_status.c.accepted,
        event_status.c.reason,
    ).join(event_status, event_status.c.id == events.c.id, isouter=True)


def _stored(row: Any) -> StoredEvent:
    wire = orjson.loads(row.body)
    content = orjson.loads(row.plain) if row.plain is not None else wire.get("content")
    return StoredEvent(
        row.id,
        row.space,
        row.type,
        row.author,
        row.ts,
        wire,
        row.position,
        row.accepted,
        row.reason,
        content,
    )


def get_event(conn: Connection, event_id: str) -> StoredEvent | None:
    row = conn.execute(_stored_query().where(events.c.id == event_id)).first()
    return _stored(row) if row else None


def get_events(conn: Connection, event_ids: Iterable[str]) -> dict[str, StoredEvent]:
    """The stored events among `event_ids`, by id, in one query."""
    wanted = sorted(set(event_ids))
    if not wanted:
        return {}
    rows = conn.execute(_stored_query().where(events.c.id.in_(wanted)))
    return {row.id: _stored(row) for row in rows}


def page(
    conn: Connection, space: str, *, after: int, limit: int, newest_first: bool = False,
    accepted_only: bool = False,
) -> list[StoredEvent]:  # fmt: skip
    """A page of a space's events in order, after (or, newest first, before) a position;
    only the accepted ones if `accepted_only`."""
    # Filtered on the status's space too, so that the page is read along its (space,
    # position) index and stops at `limit`, not sorted from every event of the space.
    query = _stored_query().where(events.c.space == space, event_status.c.space == space)
    if accepted_only:
        query = query.where(event_status.c.accepted.is_(True))
    if newest_first:
        query = query.where(event_status.c.position < after).order_by(
            event_status.c.position.desc()
        )
    else:
        query = query.where(event_status.c.position > after).order_by(event_status.c.position)
    return [_stored(row) for row in conn.execute(query.limit(limit))]


def hold(conn: Connection, event: Event, missing: Sequence[str], origin: str = "") -> None:
    """Keep an event whose ancestors (or space) have not arrived yet, linked to what it
    awaits, with who sent it."""
    row = {"id": event.id, "space": event.space, "missing": orjson.dumps(sorted(missing)).decode(),
           "body": event.body, "received_at": now_ms(), "origin": origin}  # fmt: skip
    conn.execute(insert(pending_events), [row])
    insert_rows(conn, pending_links, [{"missing": m, "event_id": event.id} for m in missing])


def held_count(conn: Connection, space: str) -> int:
    query = select(func.count()).select_from(pending_events).where(pending_events.c.space == space)
    return int(conn.scalar(query) or 0)


def held_from(conn: Connection, origin: str) -> int:
    """How many held events one sender's pushes left waiting, in every space."""
    query = select(func.count()).select_from(pending_events)
    return int(conn.scalar(query.where(pending_events.c.origin == origin)) or 0)


def expire_held(conn: Connection, received_before: int) -> int:
    """Drop the held events that came before `received_before` (ms): their ancestors did
    not follow in time. How many were dropped."""
    query = select(pending_events.c.id).where(pending_events.c.received_at < received_before)
    expired = list(conn.scalars(query))
    release(conn, expired)
    return len(expired)


def is_held(conn: Connection, event_id: str) -> bool:
    query = select(pending_events.c.id).where(pending_events.c.id == event_id)
    return conn.scalar(query) is not None


def waiting_on(conn: Connection, arrived: Collection[str]) -> list[tuple[str, bytes]]:
    """(id, body) of held events that were waiting for any of the `arrived` ids."""
    found: dict[str, bytes] = {}
    wanted = sorted(arrived)
    for start in range(0, len(wanted), 500):
        query = (
            select(pending_events.c.id, pending_events.c.body)
            .join(pending_links, pending_links.c.event_id == pending_events.c.id)
            .where(pending_links.c.missing.in_(wanted[start : start + 500]))
        )
        found.update((row.id, row.body) for row in conn.execute(query))
    return sorted(found.items())


def relink(conn: Connection, event_id: str, missing: Sequence[str]) -> None:
    """Record what a held event still waits for (it may learn of more once its space came)."""
    conn.execute(delete(pending_links).where(pending_links.c.event_id == event_id))
    insert_rows(conn, pending_links, [{"missing": m, "event_id": event_id} for m in missing])


def release(conn: Connection, ids: Iterable[str]) -> None:
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conn.execute(delete(pending_links).where(pending_links.c.event_id.in_(chunk)))
        conn.execute(delete(pending_events).where(pending_events.c.id.in_(chunk)))


class TypedRow(NamedTuple):
    """An accepted event's id, type, author, time and readable content (a tuple: a fold
    reads tens of thousands of them at once)."""

    id: str
    type: str
    author: str
    ts: int
    content: dict[str, Any]


# What an erased event still shows where others' records hang on it: a thread keeps its
# replies; other erased events are left out of what is folded.
ERASED_STAND_INS: dict[str, dict[str, Any]] = {
    "thread.create": {"on": {"kind": "space"}, "title": "[erased]", "text": "[erased]"},
}


def accepted_of_types(conn: Connection, space: str, types: Iterable[str]) -> list[TypedRow]:
    """The accepted events of the given types in a space, in the space's order."""
    query = (
        select(
            events.c.id, events.c.type, events.c.author, events.c.ts, events.c.body, events.c.plain
        )
        .join(event_status, event_status.c.id == events.c.id)
        .where(events.c.space == space, event_status.c.accepted.is_(True))
        .where(events.c.type.in_(sorted(types)))
        .order_by(event_status.c.position)
    )
    return [typed for typed in map(_typed, conn.execute(query)) if typed is not None]


def typed_rows(conn: Connection, ids: Sequence[str]) -> dict[str, TypedRow]:
    """The events of `ids` as `accepted_of_types` gives them (erased ones left out), by id."""
    columns = (events.c.id, events.c.type, events.c.author, events.c.ts, events.c.body,
               events.c.plain)  # fmt: skip
    found = {}
    for start in range(0, len(ids), 500):
        query = select(*columns).where(events.c.id.in_(list(ids[start : start + 500])))
        for row in conn.execute(query):
            typed = _typed(row)
            if typed is not None:
                found[typed.id] = typed
    return found


def _typed(row: Any) -> TypedRow | None:
    event, type, author, ts, body, plain = row
    content = content_of(body, plain)
    if content is None:
        content = ERASED_STAND_INS.get(type)
    return TypedRow(event, type, author, ts, content) if content is not None else None


def readable_events(conn: Connection, ids: Sequence[str]) -> list[Event]:
    """The stored events of `ids` that this node can read (sealed ones opened), in the
    order given: what another process of the node committed, for this one's listeners."""
    query = select(events.c.id, events.c.body, events.c.plain).where(events.c.id.in_(ids))
    found = {row.id: row for row in conn.execute(query)}
    readable = []
    for event_id in ids:
        row = found.get(event_id)
        if row is None:
            continue
        event = parse_body(row.body)
        if row.plain is not None:
            event = event.open_with(orjson.loads(row.plain))
        if event.readable:
            readable.append(event)
    return readable
