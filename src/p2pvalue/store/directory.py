"""The spaces a node holds, their members and events, as the store has them: reads only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, func, select

from p2pvalue.errors import NotFound
from p2pvalue.store import events as store
from p2pvalue.store.schema import events as events_table
from p2pvalue.store.schema import members, spaces

READERS = ("member", "invited")  # who may read a private space: they hold its key


@dataclass(frozen=True)
class SpaceSummary:
    id: str
    name: str
    description: str
    creator: str
    created_ts: int
    membership: str
    charter: dict[str, Any]
    events: int
    accepted: int
    private: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Directory:
    """Reads of the spaces, members and events in a node's store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def spaces(self, viewer: str | None = None, *, everyone: bool = False) -> list[SpaceSummary]:
        """The spaces this node reads (not those it keeps sealed for others), in founding
        order; unless `everyone`, only the public ones and the private ones `viewer` is in."""
        query = select(spaces).where(spaces.c.readable.is_(True))
        if not everyone:
            joined = select(members.c.space).where(
                members.c.did == (viewer or ""), members.c.status.in_(READERS)
            )
            query = query.where(spaces.c.private.is_(False) | spaces.c.id.in_(joined))
        with self._engine.begin() as conn:
            rows = conn.execute(query.order_by(spaces.c.created_ts, spaces.c.id))
            return [_summary(row) for row in rows]

    def held_spaces(self) -> list[SpaceSummary]:
        """Every space this node holds, those it keeps sealed for others too (replication)."""
        with self._engine.begin() as conn:
            rows = conn.execute(select(spaces).order_by(spaces.c.created_ts, spaces.c.id))
            return [_summary(row) for row in rows]

    def can_read(self, space_id: str, viewer: str | None) -> bool:
        """Whether `viewer` (None: anyone) may see a space here: any public space, a private
        one only its members and invitees; a space this node keeps sealed, no one."""
        with self._engine.begin() as conn:
            row = conn.execute(
                select(spaces.c.private, spaces.c.readable).where(spaces.c.id == space_id)
            ).first()
            if row is None or not row.private:
                return True
            if not row.readable or viewer is None:
                return False
            status = conn.scalar(
                select(members.c.status).where(members.c.space == space_id, members.c.did == viewer)
            )
        return status in READERS

    def space_of(self, event_id: str) -> str | None:
        """The space an event belongs to, if this node holds it."""
        with self._engine.begin() as conn:
            return conn.scalar(select(events_table.c.space).where(events_table.c.id == event_id))

    def space(self, space_id: str) -> SpaceSummary:
        with self._engine.begin() as conn:
            row = conn.execute(select(spaces).where(spaces.c.id == space_id)).first()
        if row is None:
            raise NotFound("unknown_space", f"no space {space_id!r} on this node")
        return _summary(row)

    def members(self, space_id: str) -> list[dict[str, Any]]:
        query = select(members).where(members.c.space == space_id).order_by(members.c.did)
        with self._engine.begin() as conn:
            _known(conn, space_id)
            return [
                {"did": r.did, "status": r.status, "roles": orjson.loads(r.roles), "since": r.since}
                for r in conn.execute(query)
            ]

    def members_by_joining(self, space_id: str, status: str) -> list[dict[str, Any]]:
        """The members of `status` (e.g. "member", "requested"), in the order their status
        began: when they joined, or asked to; as `members`, with that time as `since_ts`."""
        began = func.coalesce(events_table.c.ts, 0)
        query = (
            select(members, began.label("since_ts"))
            .join(events_table, events_table.c.id == members.c.since, isouter=True)
            .where(members.c.space == space_id, members.c.status == status)
            .order_by(began, members.c.did)
        )
        with self._engine.begin() as conn:
            _known(conn, space_id)
            return [
                {
                    "did": r.did,
                    "status": r.status,
                    "roles": orjson.loads(r.roles),
                    "since": r.since,
                    "since_ts": r.since_ts,
                }
                for r in conn.execute(query)
            ]

    def events(
        self, space_id: str, *, after: int = -1, limit: int = 50, newest_first: bool = False,
        accepted_only: bool = False,
    ) -> list[store.StoredEvent]:  # fmt: skip
        with self._engine.begin() as conn:
            _known(conn, space_id)
            return store.page(conn, space_id, after=after, limit=limit,
                              newest_first=newest_first, accepted_only=accepted_only)  # fmt: skip

    def event(self, event_id: str) -> store.StoredEvent:
        with self._engine.begin() as conn:
            found = store.get_event(conn, event_id)
        if found is None:
            raise NotFound("unknown_event", f"no event {event_id!r} on this node")
        return found

    def events_by_id(self, event_ids: Iterable[str]) -> dict[str, store.StoredEvent]:
        """The events among `event_ids` this node holds, by id: one query for many."""
        with self._engine.begin() as conn:
            return store.get_events(conn, event_ids)

    def export(self, space_id: str) -> Iterator[bytes]:
        """The raw log of a space, one canonical event per line, in the space's order."""
        self.space(space_id)
        with self._engine.begin() as conn:
            for _, body in store.bodies(conn, space_id):
                yield body


def _known(conn: Connection, space_id: str) -> None:
    """Refuse a space this node does not hold, in the transaction that reads it."""
    if conn.scalar(select(spaces.c.id).where(spaces.c.id == space_id)) is None:
        raise NotFound("unknown_space", f"no space {space_id!r} on this node")


def _summary(row: Any) -> SpaceSummary:
    return SpaceSummary(
        row.id,
        row.name,
        row.description,
        row.creator,
        row.created_ts,
        row.membership,
        orjson.loads(row.charter),
        row.events,
        row.accepted,
        row.private,
    )
