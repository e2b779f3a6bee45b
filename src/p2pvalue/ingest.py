"""The one write path: verify → check links → authorize → append → project → notify.

Local actions and events from elsewhere (import, other nodes) take the same path. A batch
is one transaction: either every event in it and every projection it changes is committed,
or none is. Listeners hear of events only after the commit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from p2pvalue.accounting.ledger import LEDGER_TYPES, ValueEvent
from p2pvalue.errors import EventError, NotFound
from p2pvalue.events.event import MAX_PREV, Event, build_event, now_ms, parse_body, parse_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.log import Delta, Entry, SpaceLog
from p2pvalue.events.types import RANK_ORDINARY, rank
from p2pvalue.store import events as store
from p2pvalue.store import projections
from p2pvalue.store.database import writing
from p2pvalue.store.schema import spaces

MAX_HELD_PER_SPACE = 1000
LOG = logging.getLogger(__name__)
# Hears each committed batch, and the node it came from (None: from this node's own side).
Listener = Callable[[Sequence[Event], str | None], None]


@dataclass(frozen=True)
class Outcome:
    """What became of one submitted event."""

    status: str  # accepted | rejected | duplicate | pending | refused
    id: str | None = None
    space: str | None = None
    code: str | None = None
    message: str | None = None
    http_status: int = 201

    @classmethod
    def refused(cls, error: EventError, event: Event | None = None) -> Outcome:
        return cls(
            "refused",
            event.id if event else None,
            event.space if event else None,
            error.code,
            error.message,
            error.status,
        )

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and k != "http_status"}


def entry_of(event: Event) -> Entry:
    content = event.content if rank(event.type) != RANK_ORDINARY else None
    return Entry(event.id, event.type, event.author, event.prev, event.depth, event.ts, content)


@dataclass
class _SpaceBatch:
    log: SpaceLog | None
    new: list[Event] = field(default_factory=list)
    delta: Delta = field(default_factory=Delta)

    def record(self, event: Event, delta: Delta) -> None:
        self.new.append(event)
        self.delta.reasons.update(delta.reasons)
        if delta.moved_from is not None:
            current = self.delta.moved_from
            self.delta.moved_from = (
                min(current, delta.moved_from) if current is not None else delta.moved_from
            )
        self.delta.authority_changed |= delta.authority_changed


class WritePath:
    """Owns the in-memory logs and every write to the event store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.RLock()
        self._logs: dict[str, SpaceLog] = {}
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def ingest(
        self, wires: Iterable[Any], *, hold_missing: bool = False, origin: str | None = None
    ) -> list[Outcome]:
        """Take a batch of wire events; one outcome per event, in the same order. `origin`
        names the node that sent them, for listeners (None: this node's own)."""
        now = now_ms()
        outcomes: list[Outcome | None] = []
        parsed: list[tuple[int, Event]] = []
        for index, wire in enumerate(wires):
            try:
                parsed.append((index, parse_event(wire, now=now)))
                outcomes.append(None)
            except EventError as error:
                outcomes.append(Outcome.refused(error))
        with self._lock:
            committed = self._commit(parsed, outcomes, hold_missing)
        self._notify(committed, origin)
        return [o for o in outcomes if o is not None]

    def _commit(
        self, parsed: list[tuple[int, Event]], outcomes: list[Outcome | None], hold: bool
    ) -> list[Event]:
        """Apply a batch in one write transaction; retried once if another worker wrote the
        same events first (the retry finds them as duplicates)."""
        for attempt in (1, 2):
            try:
                with writing(self._engine) as conn:
                    return self._apply(conn, parsed, outcomes, hold)
            except IntegrityError:
                self._logs.clear()
                if attempt == 2:
                    raise
            except BaseException:
                self._logs.clear()
                raise
        raise AssertionError("unreachable")

    def act(
        self, key: KeyPair, space: str, type: str, content: dict[str, Any], ts: int | None = None
    ) -> Outcome:
        """Sign an action by `key` on top of the space's current tips and ingest it."""
        with self._lock:
            with self._engine.begin() as conn:
                log = self._log(conn, space)
            if log is None:
                raise NotFound("unknown_space", f"no space {space!r} on this node")
            tips = sorted(log.tips, key=log.position.__getitem__)[-MAX_PREV:]
            depth = 1 + max(log.entries[t].depth for t in tips)
            event = build_event(key, type, content, space=space, prev=tips, depth=depth, ts=ts)
            return self.ingest([event.wire])[0]

    def act_many(
        self, space: str, actions: Sequence[tuple[KeyPair, str, dict[str, Any]]]
    ) -> list[Outcome]:
        """Sign a chain of actions (each on top of the one before) and ingest them as one
        batch: one transaction for many events, as an importer needs."""
        with self._lock:
            log = self.log(space)
            if log is None:
                raise NotFound("unknown_space", f"no space {space!r} on this node")
            prev = sorted(log.tips, key=log.position.__getitem__)[-MAX_PREV:]
            depth = 1 + max(log.entries[t].depth for t in prev)
            wires = []
            for key, type, content in actions:
                event = build_event(key, type, content, space=space, prev=prev, depth=depth)
                wires.append(event.wire)
                prev, depth = [event.id], depth + 1
            return self.ingest(wires)

    def create_space(self, key: KeyPair, content: dict[str, Any]) -> Outcome:
        event = build_event(key, "space.create", content, space=None)
        return self.ingest([event.wire])[0]

    def log(self, space: str) -> SpaceLog | None:
        """The current in-memory log of a space (read-only use)."""
        with self._lock, self._engine.begin() as conn:
            return self._log(conn, space)

    def value_events(
        self, space: str, known: int | None = None
    ) -> tuple[int, list[ValueEvent] | None]:
        """The log's version and the accepted events the ledger folds (see `events_of`)."""
        return self.events_of(space, LEDGER_TYPES, known)

    def events_of(
        self, space: str, types: frozenset[str], known: int | None = None
    ) -> tuple[int, list[ValueEvent] | None]:
        """The log's version and its accepted events of `types` in order, each with the
        authority of its causal past, read consistently with the in-memory log; None for the
        events when the version is still `known`, so a caller's derived state is not read
        again."""
        with self._lock, self._engine.begin() as conn:
            log = self._log(conn, space)
            if log is None:
                raise NotFound("unknown_space", f"no space {space!r} on this node")
            if log.version == known:
                return known, None
            found = [
                ValueEvent(row.id, row.type, row.author, row.ts, row.content,
                           log.state_before(row.id))
                for row in store.accepted_of_types(conn, space, types)
            ]  # fmt: skip
            return log.version, found

    def rebuild(self) -> dict[str, int]:
        """Drop every projection and derive it again from the stored events, atomically."""
        with self._lock:
            self._logs.clear()
            with writing(self._engine) as conn:
                space_ids = store.space_ids(conn)
                projections.clear(conn)
                total = 0
                for space in space_ids:
                    log = SpaceLog.from_entries(space, store.entries(conn, space))
                    projections.write_full(conn, log)
                    total += len(log)
        return {"spaces": len(space_ids), "events": total}

    def _log(self, conn: Connection, space: str) -> SpaceLog | None:
        query = select(spaces.c.events).where(spaces.c.id == space).with_for_update()
        count = conn.scalar(query)
        if count is None:
            return None
        cached = self._logs.get(space)
        if cached is None or len(cached) != count:
            cached = self._logs[space] = SpaceLog.from_entries(space, store.entries(conn, space))
        return cached

    def _apply(
        self,
        conn: Connection,
        parsed: list[tuple[int, Event]],
        outcomes: list[Outcome | None],
        hold_missing: bool,
    ) -> list[Event]:
        known = store.known_ids(conn, (event.id for _, event in parsed))
        batches: dict[str, _SpaceBatch] = {}
        for index, event in parsed:
            batch = batches.get(event.space)
            if batch is None:
                batch = batches[event.space] = _SpaceBatch(self._log(conn, event.space))
            outcomes[index] = self._admit(conn, batch, event, known, hold_missing)
        committed = []
        for space, batch in batches.items():
            if batch.log is None:
                continue
            self._release_held(conn, batch)
            store.insert_events(conn, batch.new)
            projections.write(conn, batch.log, batch.delta, batch.new)
            _erase(conn, batch.log, batch.new)
            self._logs[space] = batch.log
            committed.extend(batch.new)
        for index, event in parsed:
            outcome = outcomes[index]
            if outcome is not None and outcome.status == "accepted":
                outcomes[index] = _decided(event, batches[event.space].log)
        return committed

    def _admit(
        self, conn: Connection, batch: _SpaceBatch, event: Event, known: set[str], hold: bool
    ) -> Outcome:
        if event.id in known or (batch.log is not None and event.id in batch.log.entries):
            return Outcome("duplicate", event.id, event.space, http_status=200)
        if batch.log is None and event.type == "space.create":
            batch.log = SpaceLog(event.space)
        if batch.log is None:
            if hold:
                return self._hold(conn, event, [event.space])
            return Outcome.refused(
                EventError("unknown_space", "this node holds no such space", 404), event
            )
        entry = entry_of(event)
        try:
            missing = batch.log.check_links(entry)
        except EventError as error:
            return Outcome.refused(error, event)
        if missing:
            if hold:
                return self._hold(conn, event, missing)
            return Outcome.refused(
                EventError("unknown_prev", f"prev names unknown {missing[0]}"), event
            )
        batch.record(event, batch.log.add(entry))
        return Outcome("accepted", event.id, event.space)

    def _hold(self, conn: Connection, event: Event, missing: list[str]) -> Outcome:
        if store.is_held(conn, event.id):
            return Outcome("pending", event.id, event.space, http_status=202)
        if store.held_count(conn, event.space) >= MAX_HELD_PER_SPACE:
            error = EventError("too_many_pending", "too many events wait for ancestors here", 429)
            return Outcome.refused(error, event)
        store.hold(conn, event, missing)
        return Outcome(
            "pending",
            event.id,
            event.space,
            "missing_ancestors",
            f"waiting for {len(missing)} ancestor(s)",
            202,
        )

    def _release_held(self, conn: Connection, batch: _SpaceBatch) -> None:
        """Add held events whose last missing ancestor just arrived, and so on down."""
        log = batch.log
        assert log is not None
        arrived = {event.id for event in batch.new}
        while arrived:
            waiting = store.waiting_on(conn, arrived)
            arrived = set()
            for event_id, body in waiting:
                if event_id in log.entries:
                    store.release(conn, [event_id])
                    continue
                try:
                    event = parse_body(body)
                except EventError as error:
                    LOG.warning("dropping held event %s: %s", event_id, error)
                    store.release(conn, [event_id])
                    continue
                missing = [p for p in event.prev if p not in log.entries]
                if event.space != log.space:
                    continue
                if missing:
                    store.relink(conn, event_id, missing)
                else:
                    store.release(conn, [event_id])
                    outcome = self._admit(conn, batch, event, set(), hold=False)
                    if outcome.status == "accepted":
                        arrived.add(event_id)
                    elif outcome.status == "refused":
                        LOG.warning("held event %s refused on release: %s", event_id, outcome.code)

    def _notify(self, committed: Sequence[Event], origin: str | None) -> None:
        if committed:
            for listener in list(self._listeners):
                listener(committed, origin)


def _erase(conn: Connection, log: SpaceLog, new: Sequence[Event]) -> None:
    """Honour the accepted `content.erase` events of a batch: their author's listed events
    keep envelope and signature, and lose their content, in the same transaction."""
    for event in new:
        if event.type == "content.erase" and log.reasons.get(event.id) is None:
            store.erase_contents(conn, log.space, event.author, event.content["events"])


def _decided(event: Event, log: SpaceLog | None) -> Outcome:
    reason = log.reasons.get(event.id) if log else None
    if reason is None:
        return Outcome("accepted", event.id, event.space)
    return Outcome("rejected", event.id, event.space, "not_authorized", reason, 403)
