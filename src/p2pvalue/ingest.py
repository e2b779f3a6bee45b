"""The one write path: verify → check links → authorize → append → project → notify.

Local actions and events from elsewhere (import, other nodes) take the same path. A batch
is one transaction: either every event in it and every projection it changes is committed,
or none is. Listeners hear of events only after the commit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from p2pvalue import collection, metrics
from p2pvalue.errors import EventError, NotFound
from p2pvalue.events.authority import AuthorizedEvent, Rules, authorize
from p2pvalue.events.canonical import canonical
from p2pvalue.events.event import (
    MAX_PREV,
    Event,
    Unverified,
    build_event,
    now_ms,
    parse_body,
    read_event,
)
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.log import SEALED, Delta, Entry, SealedLog, SpaceLog
from p2pvalue.events.sealing import open_content, seal_content
from p2pvalue.events.types import RANK_ORDINARY, rank
from p2pvalue.keyring import Keyring
from p2pvalue.log_changes import Changes, Suffix, first_changed, prefix_digest
from p2pvalue.store import events as store
from p2pvalue.store import projections
from p2pvalue.store import snapshots as saved
from p2pvalue.store.database import writing
from p2pvalue.store.schema import spaces
from p2pvalue.verifier import SignatureChecker

MAX_HELD_PER_SPACE = 1000
# One sender (a verified node, an account) may fill at most this share of the buffer, in
# all spaces together; and a held event whose ancestors do not follow in this time is
# dropped (the sender, or anti-entropy, brings it again with them).
MAX_HELD_PER_ORIGIN = 200
HELD_FOR_MS = 10 * 60 * 1000
LOG = logging.getLogger(__name__)
# Hears each committed batch, and the node it came from (None: from this node's own side).
Listener = Callable[[Sequence[Event], str | None], None]
Clock = Callable[[], int]  # the time in ms since the epoch


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


class Arrivals:
    """A batch of wire events read, their signatures sent for verification: what
    `WritePath.commit` takes. Iterating gives the events in order, each verified when
    first reached, so that folding the first ones overlaps with verifying the signatures
    of the later ones (see `signatures`). A refused event is recorded in `outcomes` and
    left out; iterating again (a retried transaction) gives the same events."""

    def __init__(
        self, wires: Iterable[Any], checker: SignatureChecker, now: int, skew: int | None = None
    ) -> None:
        self.outcomes: list[Outcome | None] = []
        self.ids: list[str] = []
        unverified: list[tuple[int, Unverified]] = []
        signatures = checker.batch()
        for index, wire in enumerate(wires):
            try:
                event = read_event(wire)
                signatures.add(event.claim)
            except EventError as error:
                self.outcomes.append(Outcome.refused(error))
                continue
            self.outcomes.append(None)
            self.ids.append(event.id)
            unverified.append((index, event))
        self._pending = zip(unverified, signatures.verdicts(), strict=True)
        self._now = now
        self._skew = skew
        self._done: list[tuple[int, Event]] = []

    def __iter__(self) -> Iterator[tuple[int, Event]]:
        yield from self._done
        for (index, unverified), verdict in self._pending:
            try:
                event = unverified.verified(verdict, now=self._now)
                if self._skew is not None and abs(event.ts - self._now) > self._skew:
                    raise EventError(
                        "timestamp_out_of_range",
                        f"ts is more than {self._skew // 1000} s away from this node's clock",
                    )
                self._done.append((index, event))
            except EventError as error:
                self.outcomes[index] = Outcome.refused(error)
                continue
            yield self._done[-1]


def entry_of(event: Event) -> Entry:
    content = event.content if rank(event.type) != RANK_ORDINARY else None
    return Entry(event.id, event.type, event.author, event.prev, event.depth, event.ts, content)


@dataclass
class _SpaceBatch:
    log: SpaceLog | None
    new: list[Event] = field(default_factory=list)
    delta: Delta = field(default_factory=Delta)
    reopen: bool = False  # a private space this node could not read, whose key just came
    before: int | None = field(init=False)  # the log's version before the batch

    def __post_init__(self) -> None:
        self.before = self.log.version if self.log is not None else None

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

    def __init__(
        self, engine: Engine, keyring: Keyring | None = None, clock: Clock = now_ms, *,
        rules: Rules,
    ) -> None:  # fmt: skip
        """`keyring` holds the keys of private spaces this node's members may read; without
        one, the node keeps and relays private spaces without reading them. `clock` is the
        node's (ms), which arriving events' times are checked against; `rules`, the
        authority rules of the node's domains, which every space's log folds with."""
        self._engine = engine
        self._rules = rules
        self._clock = clock
        self._keyring = keyring
        self._lock = threading.RLock()
        self._logs: dict[str, SpaceLog] = {}
        self._changes = Changes()
        self._digests: dict[str, tuple[int, int, str]] = {}  # per space: version, end, digest
        self._listeners: list[Listener] = []
        self._signatures = SignatureChecker()

    def close(self) -> None:
        """Stop the process that verifies big batches' signatures, if one was started."""
        self._signatures.close()

    def grown(self, least: int) -> list[str]:
        """The spaces this node wrote to since it started whose logs hold at least `least`
        events (whose folded state is worth saving when it closes)."""
        with self._lock:
            return [space for space in self._changes.spaces()
                    if len(self._logs.get(space) or ()) >= least]  # fmt: skip

    def subscribe(self, listener: Listener, *, first: bool = False) -> None:
        """Tell `listener` of every committed batch; `first`: before the listeners there
        already are (one that revokes access must not wait for one that writes again)."""
        self._listeners.insert(0 if first else len(self._listeners), listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop telling `listener` of commits (a service that stops before the node)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def ingest(
        self, wires: Iterable[Any], *, hold_missing: bool = False, origin: str | None = None,
        skew: int | None = None, held_by: str | None = None,
    ) -> list[Outcome]:  # fmt: skip
        """Take a batch of wire events; one outcome per event, in the same order. `origin`
        names the node that sent them, for listeners (None: this node's own); events held
        for missing ancestors count against `held_by` (the verified sender; else `origin`);
        `skew`, for events submitted here, how far from this node's clock their time may be."""
        arrivals = self.read(wires, skew)
        return self.commit(arrivals, hold_missing=hold_missing, origin=origin, held_by=held_by)

    def read(self, wires: Iterable[Any], skew: int | None = None) -> Arrivals:
        """The first step of `ingest`: read a batch and send its signatures to be verified,
        so that a caller with several batches can read the next while one is committed."""
        with collection.paused():
            return Arrivals(wires, self._signatures, self._clock(), skew)

    def commit(
        self, arrivals: Arrivals, *, hold_missing: bool = False, origin: str | None = None,
        held_by: str | None = None,
    ) -> list[Outcome]:  # fmt: skip
        """The rest of `ingest`: verify, link, authorize, append and project a batch in one
        transaction, then tell the listeners; one outcome per event, in order."""
        hold = (held_by or origin or "")[:200] if hold_missing else None
        with collection.paused(), self._lock:
            committed = self._commit(arrivals, hold)
        self._notify(committed, origin)
        outcomes = [o for o in arrivals.outcomes if o is not None]
        metrics.ingested((o.status for o in outcomes), local=origin is None)
        return outcomes

    def _commit(self, arrivals: Arrivals, hold: str | None) -> list[Event]:
        """Apply a batch in one write transaction; retried once if another worker wrote the
        same events first (the retry finds them as duplicates)."""
        for attempt in (1, 2):
            try:
                with writing(self._engine) as conn:
                    return self._apply(conn, arrivals, hold)
            except IntegrityError:
                self._forget()
                if attempt == 2:
                    raise
            except BaseException:
                self._forget()
                raise
        raise AssertionError("unreachable")

    def _forget(self) -> None:
        self._logs.clear()
        self._changes.forget()
        if self._keyring is not None:
            self._keyring.forget()

    def act(
        self, key: KeyPair, space: str, type: str, content: dict[str, Any], ts: int | None = None
    ) -> Outcome:
        """Sign an action by `key` on top of the space's current tips and ingest it; in a
        private space, its content sealed under the key in use."""
        with self._lock:
            with self._engine.begin() as conn:
                log = self._log(conn, space)
                if log is None:
                    raise NotFound("unknown_space", f"no space {space!r} on this node")
                if log.private and type != "space.key":
                    content = seal_content(self._space_key(conn, log), type, key.did, content)
            tips = parents_of(log)
            depth = 1 + max(log.entries[t].depth for t in tips)
            if ts is None:  # never before a parent, even when another node's clock is ahead
                ts = max(self._clock(), *(log.entries[t].ts for t in tips))
            event = build_event(key, type, content, space=space, prev=tips, depth=depth, ts=ts)
            return self.ingest([event.wire])[0]

    def space_keys(self, space: str) -> tuple[str | None, dict[str, bytes]]:
        """The kid of a private space's key in use, and every key of it this node holds."""
        with self._lock, self._engine.begin() as conn:
            log = self._log(conn, space)
            if log is None or not log.private or self._keyring is None:
                return None, {}
            return current_kid(conn, log), dict(self._keyring.keys(conn, space))

    def _space_key(self, conn: Connection, log: SpaceLog) -> bytes:
        kid = current_kid(conn, log)
        key = self._keyring.keys(conn, log.space).get(kid) if self._keyring else None
        if key is None or not log.readable:
            raise EventError("no_space_key", "no member of this node holds the space key", 403)
        return key

    def act_many(
        self, space: str, actions: Sequence[tuple[KeyPair, str, dict[str, Any]]]
    ) -> list[Outcome]:
        """Sign a chain of actions (each on top of the one before) and ingest them as one
        batch: one transaction for many events, as an importer needs."""
        with self._lock:
            log = self.log(space)
            if log is None:
                raise NotFound("unknown_space", f"no space {space!r} on this node")
            prev = parents_of(log)
            depth = 1 + max(log.entries[t].depth for t in prev)
            space_key = None
            if log.private:
                with self._engine.begin() as conn:
                    space_key = self._space_key(conn, log)
            wires = []
            ts = max(self._clock(), *(log.entries[t].ts for t in prev))
            for key, type, content in actions:
                if space_key is not None and type != "space.key":
                    content = seal_content(space_key, type, key.did, content)
                event = build_event(key, type, content, space=space, prev=prev, depth=depth, ts=ts)
                wires.append(event.wire)
                prev, depth = [event.id], depth + 1
            return self.ingest(wires)

    def create_space(self, key: KeyPair, content: dict[str, Any]) -> Outcome:
        event = build_event(key, "space.create", content, space=None, ts=self._clock())
        return self.ingest([event.wire])[0]

    def log(self, space: str) -> SpaceLog | None:
        """The current in-memory log of a space (read-only use)."""
        with self._lock, self._engine.begin() as conn:
            return self._log(conn, space)

    def events_of(
        self, space: str, types: frozenset[str], known: int | None = None
    ) -> tuple[int, list[AuthorizedEvent] | None]:
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
                AuthorizedEvent(row.id, row.type, row.author, row.ts, row.content,
                           log.state_before(row.id))
                for row in store.accepted_of_types(conn, space, types)
            ]  # fmt: skip
            return log.version, found

    def events_since(
        self, space: str, types: frozenset[str], version: int | None, end: int,
        causal: bool = True,
    ) -> Suffix:  # fmt: skip
        """The accepted events of `types` that a reader who read the log at `version`, up
        to position `end`, has to fold: from `end` on, or from the first position that
        changed since if that is earlier (from 0 when unknown). Read consistently with the
        in-memory log; no events when the version is still `version`. Each event carries
        the authority of its causal past, or, for a reader that judges nothing by it
        (`causal=False`), the log's current authority, which costs nothing to find."""
        with self._lock, self._engine.begin() as conn:
            log = self._known_log(conn, space)
            if log.version == version:
                return Suffix(log.version, end, end, [], log.authority)
            start = min(end, self._changes.unchanged(log, version))
            return self._suffix(conn, log, types, start, causal)

    def events_after(
        self, space: str, types: frozenset[str], end: int, digest: str, causal: bool = True
    ) -> Suffix | None:
        """As `events_since`, for a reader whose state was folded from the log's first `end`
        positions when their ids and decisions hashed to `digest` (a snapshot): the events
        from `end` on, or None when the log's first `end` positions are not those now."""
        with self._lock, self._engine.begin() as conn:
            log = self._known_log(conn, space)
            if not log.readable or end > len(log.order) or self._digest(log, end) != digest:
                return None
            return self._suffix(conn, log, types, end, causal)

    def digest(self, space: str, version: int, end: int) -> str | None:
        """The digest of the log's first `end` positions (`log_changes.prefix_digest`) if
        the log is still at `version`; None when it moved on or cannot be read here."""
        with self._lock, self._engine.begin() as conn:
            log = self._known_log(conn, space)
            if log.version != version or not log.readable or end > len(log.order):
                return None
            return self._digest(log, end)

    def _digest(self, log: SpaceLog, end: int) -> str:
        kept = self._digests.get(log.space)
        if kept is None or kept[:2] != (log.version, end):
            kept = self._digests[log.space] = (log.version, end, prefix_digest(log, end))
        return kept[2]

    def _known_log(self, conn: Connection, space: str) -> SpaceLog:
        log = self._log(conn, space)
        if log is None:
            raise NotFound("unknown_space", f"no space {space!r} on this node")
        return log

    def _suffix(
        self, conn: Connection, log: SpaceLog, types: frozenset[str], start: int, causal: bool
    ) -> Suffix:
        """The log's accepted events of `types` from position `start` on."""
        if start == 0:
            rows = store.accepted_of_types(conn, log.space, types)
        else:
            wanted = [
                i for i in log.order[start:]
                if log.entries[i].type in types and log.reasons.get(i) is None
            ]  # fmt: skip
            found = store.typed_rows(conn, wanted)
            rows = [found[i] for i in wanted if i in found]
        current = log.authority
        assert current is not None
        events = [
            (log.position[row.id], AuthorizedEvent(row.id, row.type, row.author, row.ts,
                row.content, log.state_before(row.id) if causal else current))
            for row in rows
        ]  # fmt: skip
        return Suffix(log.version, start, len(log.order), events, log.authority)

    def rebuild(self, advance: Callable[[int], None] = lambda n: None) -> dict[str, int]:
        """Drop every projection and derive it again from the stored events, atomically;
        `advance` is told how many events each space held as it is done."""
        with self._lock:
            self._logs.clear()
            self._changes.forget()
            with writing(self._engine) as conn:
                space_ids = store.space_ids(conn)
                projections.clear(conn)
                saved.drop(conn)
                total = 0
                for space in space_ids:
                    log = _load(conn, space, self._rules)
                    projections.write_full(conn, log)
                    total += len(log)
                    advance(len(log))
        return {"spaces": len(space_ids), "events": total}

    def _log(self, conn: Connection, space: str) -> SpaceLog | None:
        query = select(spaces.c.events).where(spaces.c.id == space).with_for_update()
        count = conn.scalar(query)
        if count is None:
            return None
        cached = self._logs.get(space)
        if cached is None or len(cached) != count:
            cached = self._logs[space] = _load(conn, space, self._rules)
            self._changes.forget(space)
        return cached

    def _apply(self, conn: Connection, arrivals: Arrivals, hold: str | None) -> list[Event]:
        """`hold`: whom events missing ancestors are held for (None: refuse them)."""
        known = store.known_ids(conn, arrivals.ids)
        batches: dict[str, _SpaceBatch] = {}
        for index, event in arrivals:
            batch = batches.get(event.space)
            if batch is None:
                batch = batches[event.space] = _SpaceBatch(self._log(conn, event.space))
            arrivals.outcomes[index] = self._admit(conn, batch, event, known, hold)
        committed = []
        for space, batch in batches.items():
            if batch.log is None:
                continue
            self._release_held(conn, batch)
            store.insert_events(conn, batch.new)
            if batch.reopen:
                batch.log = self._reopen(conn, batch.log)
                projections.clear_space(conn, space)
                saved.drop(conn, space)
                projections.write_full(conn, batch.log)
            else:
                projections.write(conn, batch.log, batch.delta, batch.new)
            _erase(conn, batch.log, batch.new)
            self._logs[space] = batch.log
            first = 0 if batch.reopen else first_changed(batch.log, batch.delta)
            self._changes.record(space, batch.before, batch.log.version, first)
            committed.extend(batch.new)
        for index, event in arrivals:
            outcome = arrivals.outcomes[index]
            if outcome is not None and outcome.status == "accepted":
                arrivals.outcomes[index] = _decided(event, batches[event.space].log)
        return committed

    def _admit(
        self, conn: Connection, batch: _SpaceBatch, event: Event, known: set[str],
        hold: str | None,
    ) -> Outcome:  # fmt: skip
        if event.id in known or (batch.log is not None and event.id in batch.log.entries):
            return Outcome("duplicate", event.id, event.space, http_status=200)
        if batch.log is None and event.type == "space.create":
            try:
                event = self._open(conn, None, event)
            except EventError as error:
                return Outcome.refused(error, event)
            log_type = SpaceLog if event.readable else SealedLog
            batch.log = log_type(event.space, self._rules, private=event.sealed)
        if batch.log is None:
            if hold is not None:
                return self._hold(conn, event, [event.space], hold)
            return Outcome.refused(
                EventError("unknown_space", "this node holds no such space", 404), event
            )
        entry = entry_of(event)
        try:
            missing = batch.log.check_links(entry)
        except EventError as error:
            return Outcome.refused(error, event)
        if missing:
            if hold is not None:
                return self._hold(conn, event, missing, hold)
            return Outcome.refused(
                EventError("unknown_prev", f"prev names unknown {missing[0]}"), event
            )
        if event.type != "space.create":
            try:
                opened = self._open(conn, batch, event)
            except EventError as error:
                return Outcome.refused(error, event)
            if opened is not event:
                event, entry = opened, entry_of(opened)
        batch.record(event, batch.log.add(entry))
        return Outcome("accepted", event.id, event.space)

    def _open(self, conn: Connection, batch: _SpaceBatch | None, event: Event) -> Event:
        """A private space's event as this node can read it: the keys it carries learned,
        its content opened where a key of this node's members opens it. Refused: sealed
        content in a public space (or plain content in a private one), a key wrapped for a
        non-member, content its key does not open. A node that cannot read the space keeps
        the event as it came, for the nodes that can."""
        log = batch.log if batch is not None else None
        if log is not None:
            _check_sealing(log, event)
            if event.type == "space.key" and log.readable:
                _check_wraps(log, event)
        if self._keyring is None:
            return event
        if event.type == "space.key" or (event.sealed and event.type == "space.create"):
            learned = self._keyring.learn(conn, event.space, event.content)
            if learned and batch is not None and log is not None and not log.readable:
                batch.reopen = True
        if not event.sealed:
            return event
        key = self._keyring.keys(conn, event.space).get(event.content["space_key"])
        if key is None:
            if log is None or not log.readable or batch is None or batch.reopen:
                return event
            raise EventError(
                "unknown_space_key", "no member of this node holds the key it is sealed with"
            )
        return event.open_with(open_content(key, event.type, event.author, event.content))

    def _reopen(self, conn: Connection, sealed: SpaceLog) -> SpaceLog:
        """The log of a private space this node kept sealed, opened with the keys its
        members just received: every stored event's content opened and folded. If some
        event does not open (sealed with a key no one gave this node's members), the space
        stays sealed here."""
        assert self._keyring is not None
        bodies = [parse_body(body) for _, body in store.sealed_bodies(conn, sealed.space)]
        for event in bodies:
            if event.type == "space.key" or event.type == "space.create":
                self._keyring.learn(conn, sealed.space, event.content)
        keys = self._keyring.keys(conn, sealed.space)
        opened: list[Event] = []
        for event in bodies:
            key = keys.get(event.content.get("space_key", "")) if event.sealed else None
            try:
                if key is not None:
                    event = event.open_with(
                        open_content(key, event.type, event.author, event.content)
                    )
            except EventError as error:
                LOG.warning("space %s stays sealed: %s %s", sealed.space, event.id, error.code)
                return sealed
            if event.sealed and not event.opened and not event.erased:
                LOG.warning("space %s stays sealed: no key opens %s", sealed.space, event.id)
                return sealed
            opened.append(event)
        store.set_plain(conn, [(e.id, canonical(dict(e.content))) for e in opened if e.opened])
        entries = map(entry_of, opened)
        return SpaceLog.from_entries(sealed.space, entries, self._rules, private=True)

    def _hold(self, conn: Connection, event: Event, missing: list[str], origin: str) -> Outcome:
        """Keep an event until its ancestors come, within the buffer's bounds: per space,
        per sender (but this node's own imports, `origin` ""), and for `HELD_FOR_MS`
        (expired ones are dropped first)."""
        if store.is_held(conn, event.id):
            return Outcome("pending", event.id, event.space, http_status=202)
        store.expire_held(conn, now_ms() - HELD_FOR_MS)
        if store.held_count(conn, event.space) >= MAX_HELD_PER_SPACE:
            error = EventError("too_many_pending", "too many events wait for ancestors here", 429)
            return Outcome.refused(error, event)
        if origin and store.held_from(conn, origin) >= MAX_HELD_PER_ORIGIN:
            message = "too many of your events wait for ancestors here"
            return Outcome.refused(EventError("too_many_pending", message, 429), event)
        store.hold(conn, event, missing, origin)
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
        if not store.held_count(conn, log.space):
            return
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
                    outcome = self._admit(conn, batch, event, set(), hold=None)
                    if outcome.status == "accepted":
                        arrived.add(event_id)
                    elif outcome.status == "refused":
                        LOG.warning("held event %s refused on release: %s", event_id, outcome.code)

    def _notify(self, committed: Sequence[Event], origin: str | None) -> None:
        readable = [event for event in committed if event.readable]
        if readable:
            for listener in list(self._listeners):
                listener(readable, origin)


def _load(conn: Connection, space: str, rules: Rules) -> SpaceLog:
    """A stored space's log, folded under `rules`; sealed if this node cannot read it.

    The garbage collector waits meanwhile (`collection`): nearly all the fold makes is
    kept, and each collection its hundreds of thousands of new objects set off would walk
    the whole log and the states cached so far, to find almost nothing."""
    private, readable = store.privacy_of(conn, space)
    log_type = SpaceLog if readable else SealedLog
    with collection.paused():
        return log_type.from_entries(space, store.entries(conn, space), rules, private=private)


def parents_of(log: SpaceLog) -> list[str]:
    """What a new event of this node names as `prev`: the log's tips, but a rejected tip
    is passed over for its nearest ancestors that are accepted, so that a rejected event no
    accepted event descends from stays so (and is not sent to other nodes: see
    `federation.replication`); an ancestor of another parent is left out. At most
    `MAX_PREV`, the latest in the log's order."""
    tips = log.tips
    if log.readable and any(log.reasons.get(tip) is not None for tip in tips):
        tips = _accepted_frontier(log)
    return sorted(tips, key=log.position.__getitem__)[-MAX_PREV:]


def _accepted_frontier(log: SpaceLog) -> set[str]:
    """The accepted events reached by walking up from the tips through rejected events,
    without those that are ancestors of others (`parents_of`). It visits only the rejected
    events at the top of the log and the accepted ones just under them."""
    seen: set[str] = set()
    accepted: set[str] = set()
    walk = list(log.tips)
    while walk:
        event_id = walk.pop()
        if event_id in seen:
            continue
        seen.add(event_id)
        if log.reasons.get(event_id) is None:
            accepted.add(event_id)
        else:
            walk.extend(log.entries[event_id].prev)
    covered: set[str] = set()  # events from which a path leads to an accepted one
    for event_id in sorted(seen, key=log.position.__getitem__, reverse=True):
        children = log.children.get(event_id, ())
        if any(c not in seen or c in accepted or c in covered for c in children):
            covered.add(event_id)
    return accepted - covered


def current_kid(conn: Connection, log: SpaceLog) -> str:
    """The key a private space's new events are sealed with: the one its last accepted
    rotation (a `space.key` sealing the older keys) introduced, else its founding key. A
    share of an older key ordered after a rotation (an invitation concurrent with it) does
    not bring that key back."""
    rotations = [
        event_id for event_id in log.governance_ids
        if log.entries[event_id].type == "space.key"
        and (log.entries[event_id].content or {}).get("previous")
        and log.reasons.get(event_id) is None
    ]  # fmt: skip
    if rotations:
        last = max(rotations, key=log.position.__getitem__)
        return str((log.entries[last].content or {})["space_key"])
    founding = store.get_event(conn, log.space)
    assert founding is not None
    return str(founding.wire["content"]["space_key"])


def _check_sealing(log: SpaceLog, event: Event) -> None:
    if event.type == "space.key" and not log.private:
        raise EventError("space_not_private", "only a private space has space keys")
    if event.type != "space.key" and event.sealed != log.private and not event.erased:
        if log.private:
            raise EventError("unsealed_content", "a private space's events are sealed")
        raise EventError("sealed_in_public_space", "a public space's events are not sealed")


def _check_wraps(log: SpaceLog, event: Event) -> None:
    """Refuse a space key wrapped for anyone who is neither member nor invitee in the
    event's causal past (authorization rejects it too where that past changes later)."""
    entry = entry_of(event)
    reason = authorize(entry.action, log.state_after(event.prev), log.rules)
    if reason == "wrapped_for_non_member":
        raise EventError("wrapped_for_non_member", "a space key is wrapped for a non-member", 403)


def _erase(conn: Connection, log: SpaceLog, new: Sequence[Event]) -> None:
    """Honour the accepted `content.erase` events of a batch: their author's listed events
    keep envelope and signature, and lose their content, in the same transaction; so do
    the space's snapshots, which may hold some of it."""
    for event in new:
        if event.type == "content.erase" and log.reasons.get(event.id) is None:
            store.erase_contents(conn, log.space, event.author, event.content["events"])
            saved.drop(conn, log.space)


def _decided(event: Event, log: SpaceLog | None) -> Outcome:
    """Accepted or rejected; a node that cannot read the space keeps the event unjudged."""
    reason = log.reasons.get(event.id) if log else None
    if reason is None or reason == SEALED:
        return Outcome("accepted", event.id, event.space)
    return Outcome("rejected", event.id, event.space, "not_authorized", reason, 403)
