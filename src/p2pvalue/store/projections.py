"""SQL that writes the projections derived from a `SpaceLog`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from p2pvalue.events.event import Event
from p2pvalue.events.log import Delta, SpaceLog
from p2pvalue.store.bulk import insert_rows
from p2pvalue.store.schema import PROJECTIONS, event_status, heads, members, spaces


def write(conn: Connection, log: SpaceLog, delta: Delta, new: Sequence[Event]) -> None:
    """Bring every projection of `log.space` up to date after `delta` added `new`."""
    _write_status(conn, log, delta, {event.id for event in new})
    if delta.authority_changed or not conn.scalar(
        select(spaces.c.id).where(spaces.c.id == log.space)
    ):
        _write_members(conn, log)
    _write_space(conn, log)
    _update_heads(conn, log, new)


def _status(log: SpaceLog, event_id: str) -> dict[str, Any]:
    reason = log.reasons[event_id]
    return {
        "id": event_id,
        "space": log.space,
        "position": log.position[event_id],
        "accepted": reason is None,
        "reason": reason,
    }


def _write_status(conn: Connection, log: SpaceLog, delta: Delta, new_ids: Collection[str]) -> None:
    insert_rows(conn, event_status, [_status(log, i) for i in new_ids])
    start = len(log.order) if delta.moved_from is None else delta.moved_from
    touched = {i for i in log.order[start:]} | set(delta.reasons)
    changed = [_status(log, i) for i in touched if i not in new_ids]
    if changed:
        conn.execute(
            update(event_status)
            .where(event_status.c.id == bindparam("b_id"))
            .values(
                position=bindparam("b_position"),
                accepted=bindparam("b_accepted"),
                reason=bindparam("b_reason"),
            ),
            [{f"b_{k}": v for k, v in row.items() if k != "space"} for row in changed],
        )


def member_rows(log: SpaceLog) -> list[dict[str, Any]]:
    """The members projection of a folded log, in did order."""
    authority = log.authority
    if authority is None:
        return []
    return [
        {"space": log.space, "did": did, "status": m.status,
         "roles": orjson.dumps(sorted(m.roles)).decode(), "since": m.since}
        for did, m in sorted(authority.members.items())
    ]  # fmt: skip


def space_row(log: SpaceLog) -> dict[str, Any] | None:
    """The spaces projection row of a folded log (of a private space this node cannot read:
    only what the envelopes show)."""
    authority = log.authority
    if not log.readable and log.space in log.entries:
        return {
            "id": log.space, "name": "", "description": "",
            "creator": log.entries[log.space].author, "created_ts": log.created_ts,
            "membership": "invite", "charter": "{}", "events": len(log), "accepted": 0,
            "private": True, "readable": False,
        }  # fmt: skip
    if authority is None:
        return None
    content = log.entries[log.space].content or {}
    return {
        "id": log.space, "name": authority.name,
        "description": content.get("description", ""), "creator": authority.creator,
        "created_ts": log.created_ts, "membership": authority.charter.membership,
        "charter": orjson.dumps(authority.charter.to_content()).decode(),
        "events": len(log), "accepted": log.accepted, "private": log.private,
        "readable": True,
    }  # fmt: skip


def recorded_rows(
    conn: Connection, space: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """What the members and spaces projections hold for a space, shaped like the above."""
    query = select(members).where(members.c.space == space).order_by(members.c.did)
    found = [dict(row._mapping) for row in conn.execute(query)]
    row = conn.execute(select(spaces).where(spaces.c.id == space)).first()
    return found, dict(row._mapping) if row else None


def _write_members(conn: Connection, log: SpaceLog) -> None:
    conn.execute(delete(members).where(members.c.space == log.space))
    insert_rows(conn, members, member_rows(log))


def _write_space(conn: Connection, log: SpaceLog) -> None:
    row = space_row(log)
    if row is None:
        return
    if conn.scalar(select(spaces.c.id).where(spaces.c.id == log.space)):
        conn.execute(update(spaces).where(spaces.c.id == log.space).values(row))
    else:
        conn.execute(insert(spaces), [row])


def _update_heads(conn: Connection, log: SpaceLog, new: Sequence[Event]) -> None:
    """Heads change only where events arrive: their parents stop being heads, and those of
    them nothing points to yet become heads. Only parents from before the batch can be
    recorded heads (a page of a linear log deletes one row, not 5,000)."""
    arrived = {event.id for event in new}
    parents = sorted({parent for event in new for parent in event.prev} - arrived)
    for start in range(0, len(parents), 500):
        chunk = parents[start : start + 500]
        conn.execute(delete(heads).where(heads.c.space == log.space, heads.c.event_id.in_(chunk)))
    rows = [{"space": log.space, "event_id": e.id} for e in new if e.id in log.tips]
    insert_rows(conn, heads, rows)


def _write_heads(conn: Connection, log: SpaceLog) -> None:
    conn.execute(delete(heads).where(heads.c.space == log.space))
    conn.execute(insert(heads), [{"space": log.space, "event_id": i} for i in sorted(log.tips)])


def clear_space(conn: Connection, space: str) -> None:
    """Drop one space's projection rows (before writing them again from a new fold)."""
    for table in (event_status, members, heads):
        conn.execute(delete(table).where(table.c.space == space))
    conn.execute(delete(spaces).where(spaces.c.id == space))


def clear(conn: Connection) -> None:
    """Drop every projection's rows (before a rebuild)."""
    for table in PROJECTIONS:
        conn.execute(delete(table))


def snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection's rows in a stable order: what rebuild must reproduce exactly."""
    result = {}
    for table in PROJECTIONS:
        order = list(table.primary_key.columns)
        result[table.name] = [tuple(row) for row in conn.execute(select(table).order_by(*order))]
    return result


def write_full(conn: Connection, log: SpaceLog, chunk: int = 20_000) -> None:
    """Write every projection of a freshly folded log into empty tables."""
    for start in range(0, len(log.order), chunk):
        insert_rows(conn, event_status, [_status(log, i) for i in log.order[start : start + chunk]])
    _write_members(conn, log)
    _write_space(conn, log)
    _write_heads(conn, log)
