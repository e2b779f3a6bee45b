"""SQL for replication: the peers a space was joined from, and the durable outbox."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from p2pvalue.store.schema import event_status, events, outbox, space_peers


@dataclass(frozen=True)
class Pending:
    id: int
    url: str
    space: str
    event_id: str
    attempts: int


def add_peer(conn: Connection, space: str, url: str, at: int) -> None:
    known = select(space_peers.c.url).where(space_peers.c.space == space, space_peers.c.url == url)
    if conn.execute(known).first() is None:
        conn.execute(insert(space_peers).values(space=space, url=url, added=at))


def peers(conn: Connection, space: str) -> list[str]:
    query = select(space_peers.c.url).where(space_peers.c.space == space)
    return sorted(conn.scalars(query))


def enqueue(conn: Connection, rows: Iterable[tuple[str, str, str]], at: int) -> int:
    """Queue (url, space, event id) deliveries, due at once; how many were queued."""
    values = [
        {"url": url, "space": space, "event_id": event_id, "attempts": 0, "next_at": at}
        for url, space, event_id in rows
    ]
    if values:
        conn.execute(insert(outbox), values)
    return len(values)


def due(conn: Connection, now: int, limit: int) -> list[Pending]:
    """The deliveries due by `now`, oldest first."""
    query = (
        select(outbox.c.id, outbox.c.url, outbox.c.space, outbox.c.event_id, outbox.c.attempts)
        .where(outbox.c.next_at <= now)
        .order_by(outbox.c.id)
        .limit(limit)
    )
    return [Pending(*row) for row in conn.execute(query)]


def delivered(conn: Connection, ids: Sequence[int]) -> None:
    conn.execute(delete(outbox).where(outbox.c.id.in_(ids)))


def failed(conn: Connection, ids: Sequence[int], next_at: int, error: str) -> None:
    conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids))
        .values(attempts=outbox.c.attempts + 1, next_at=next_at, last_error=error[:200])
    )


def bodies_by_id(conn: Connection, space: str, ids: Sequence[str]) -> list[bytes]:
    """The stored bodies of those of `ids` the space holds, parents before children."""
    query = (
        select(events.c.body)
        .join(event_status, event_status.c.id == events.c.id)
        .where(events.c.space == space, events.c.id.in_(ids))
        .order_by(event_status.c.position)
    )
    return [bytes(body) for body in conn.scalars(query)]


def kept_page(
    conn: Connection, space: str, at: int, limit: int, skip: Collection[str], *,
    newest_first: bool = False,
) -> tuple[list[tuple[int, bytes]], int | None]:  # fmt: skip
    """A page of the space's log, (position, body) after `at` in order (or before it,
    newest first), leaving out the events in `skip`; and the last position the page
    read (None: nothing was left to read), so that a reader can go on past a page that
    was all left out."""
    position = event_status.c.position
    query = (
        select(position, events.c.id, events.c.body)
        .join(event_status, event_status.c.id == events.c.id)
        .where(event_status.c.space == space, position < at if newest_first else position > at)
        .order_by(position.desc() if newest_first else position)
        .limit(limit)
    )
    rows = conn.execute(query).all()
    kept = [(int(row.position), bytes(row.body)) for row in rows if row.id not in skip]
    return kept, (int(rows[-1].position) if rows else None)
