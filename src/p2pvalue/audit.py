"""Checking and re-deriving what a node holds: verify, rebuild, import."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson
from sqlalchemy import func, select

from p2pvalue import domains
from p2pvalue.errors import EventError, NotFound
from p2pvalue.events.event import Event, parse_body
from p2pvalue.events.log import SpaceLog
from p2pvalue.ingest import entry_of
from p2pvalue.node import Node
from p2pvalue.store import projections
from p2pvalue.store.schema import event_status, events, heads

IMPORT_BATCH = 1000


@dataclass(frozen=True)
class Problem:
    event_id: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.event_id}: {self.code}: {self.message}"


def verify(
    node: Node, space: str, advance: Callable[[int], None] = lambda n: None
) -> Problem | None:
    """Re-check every signature, hash, link and decision of a space; the first problem found.
    `advance` is told of each event whose signature and hash were checked."""
    with node.engine.begin() as conn:
        rows = conn.execute(
            select(
                events.c.id,
                events.c.space,
                events.c.type,
                events.c.author,
                events.c.depth,
                events.c.ts,
                events.c.body,
            )
            .where(events.c.space == space)
            .order_by(events.c.seq)
        ).all()
        recorded = {
            r.id: (r.position, r.accepted, r.reason)
            for r in conn.execute(select(event_status).where(event_status.c.space == space))
        }
        recorded_heads = set(conn.scalars(select(heads.c.event_id).where(heads.c.space == space)))
        recorded_members, recorded_space = projections.recorded_rows(conn, space)
    if not rows:
        raise NotFound("unknown_space", f"no space {space!r} on this node")
    verified: list[Event] = []
    for row in rows:
        try:
            event = parse_body(row.body)
        except EventError as error:
            return Problem(row.id, error.code, error.message)
        columns = (row.id, row.space, row.type, row.author, row.depth, row.ts)
        if columns != (event.id, event.space, event.type, event.author, event.depth, event.ts):
            return Problem(row.id, "index_mismatch", "stored columns disagree with the event")
        verified.append(event)
        advance(1)
    log, problem = _check_log(space, verified, recorded, recorded_heads)
    if problem is not None or log is None:
        return problem
    if recorded_members != projections.member_rows(log):
        return Problem(space, "stale_projection", "the recorded members differ from the log's")
    if recorded_space != projections.space_row(log):
        return Problem(space, "stale_projection", "the recorded space differs from the log's")
    return None


def _check_log(
    space: str,
    verified: list[Event],
    recorded: dict[str, tuple[int, bool, str | None]],
    heads: set[str],
) -> tuple[SpaceLog | None, Problem | None]:
    by_id = {event.id: event for event in verified}
    if space not in by_id or by_id[space].type != "space.create":
        return None, Problem(space, "missing_create", "the space.create event is not in the log")
    for event in verified:
        missing = [p for p in event.prev if p not in by_id]
        if missing:
            return None, Problem(
                event.id, "unknown_prev", f"prev names {missing[0]}, not in the log"
            )
        expected = 1 + max((by_id[p].depth for p in event.prev), default=-1)
        if event.depth != expected:
            return None, Problem(
                event.id, "bad_depth", f"depth {event.depth}, parents give {expected}"
            )
    log = SpaceLog.from_entries(space, (entry_of(e) for e in verified), domains.rules())
    for event_id in log.order:
        reason = log.reasons[event_id]
        derived = (log.position[event_id], reason is None, reason)
        if recorded.get(event_id) != derived:
            found = recorded.get(event_id)
            return log, Problem(
                event_id, "decision_mismatch", f"recorded {found}, derived {derived}"
            )
    for event_id in sorted(recorded.keys() - log.entries.keys()):
        return log, Problem(event_id, "stale_projection", "a decision is recorded for no event")
    if heads != log.tips:
        stray = sorted(heads ^ log.tips)[0]
        return log, Problem(stray, "stale_projection", "the recorded heads differ from the tips")
    return log, None


def rebuild(node: Node, advance: Callable[[int], None] = lambda n: None) -> dict[str, int]:
    """Drop every projection and derive it again from the stored events."""
    return node.rebuild(advance)


def event_count(node: Node) -> int:
    """How many events the node stores, in every space: what a rebuild reads."""
    with node.engine.begin() as conn:
        return int(conn.scalar(select(func.count()).select_from(events)) or 0)


def import_lines(node: Node, lines: Iterable[bytes]) -> Counter[str]:
    """Load exported logs, every event through the write path; counts by outcome."""
    counts: Counter[str] = Counter()
    batch: list[object] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            batch.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise EventError("malformed_json", f"line {number}: {exc}") from None
        if len(batch) >= IMPORT_BATCH:
            _import_batch(node, batch, counts)
            batch = []
    _import_batch(node, batch, counts)
    return counts


def _import_batch(node: Node, batch: list[object], counts: Counter[str]) -> None:
    for outcome in node.ingest(batch, hold_missing=True):
        counts[outcome.status] += 1
        if outcome.status == "refused":
            counts[f"refused:{outcome.code}"] += 1
