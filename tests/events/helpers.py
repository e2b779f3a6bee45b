"""Real signed events for the event-log tests: deterministic keys and a space builder."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from p2pvalue import domains
from p2pvalue.events.authority import Authority
from p2pvalue.events.event import Event, build_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.log import SpaceLog
from p2pvalue.governance.templates import default_charter
from p2pvalue.ingest import entry_of

T0 = 1_764_115_200_000


def key(name: str) -> KeyPair:
    """A key pair that is the same in every run, so event ids are too."""
    return KeyPair(hashlib.sha256(name.encode()).digest())


POSTER_CHARTER: dict[str, Any] = {
    "membership": "open",
    "roles": {"admin": ["*"], "poster": ["post.create"], "member": []},
    "founder_roles": ["admin"],
    "member_roles": ["member"],
}

ALICE = key("alice")
BOB = key("bob")
CAROL = key("carol")
DAVE = key("dave")


class SpaceBuilder:
    """Signs the events of one space, computing each event's depth from its parents."""

    def __init__(
        self,
        founder: KeyPair = ALICE,
        charter: Mapping[str, Any] | None = None,
        name: str = "Commons",
    ) -> None:
        self.events: list[Event] = []
        content = {"name": name, "charter": dict(charter or default_charter())}
        self.create = self._keep(build_event(founder, "space.create", content, space=None, ts=T0))
        self.space = self.create.id

    def emit(
        self,
        author: KeyPair,
        type: str,
        content: Mapping[str, Any],
        after: Sequence[Event],
        ts: int | None = None,
    ) -> Event:
        """Sign an event of `type` whose parents are `after` (stamped later than the last)."""
        depth = 1 + max(parent.depth for parent in after)
        ts = T0 + 1000 * len(self.events) if ts is None else ts
        prev = [parent.id for parent in after]
        event = build_event(author, type, content, space=self.space, prev=prev, depth=depth, ts=ts)
        return self._keep(event)

    def post(self, author: KeyPair, after: Sequence[Event], text: str = "hello") -> Event:
        return self.emit(author, "post.create", {"text": text}, after)

    def on(self, author: KeyPair, type: str, target: KeyPair, after: Sequence[Event]) -> Event:
        """A membership event (`member.invite`, `member.admit`, `member.remove`) on `target`."""
        return self.emit(author, type, {"member": target.did}, after)

    def role(
        self, author: KeyPair, type: str, target: KeyPair, role: str, after: Sequence[Event]
    ) -> Event:
        """A `role.grant` or `role.revoke` of `role` to `target`."""
        return self.emit(author, type, {"member": target.did, "role": role}, after)

    def chain(self, *steps: tuple[KeyPair, str, Mapping[str, Any]]) -> Event:
        """Emit `steps` one after another on top of the latest event; return the last."""
        last = self.events[-1]
        for author, type, content in steps:
            last = self.emit(author, type, content, [last])
        return last

    def _keep(self, event: Event) -> Event:
        self.events.append(event)
        return event


def log_of(space: str, events: Iterable[Event]) -> SpaceLog:
    """A log fed `events` one at a time through `add`, in the given (parents-first) order."""
    log = SpaceLog(space, domains.rules())
    for event in events:
        log.add(entry_of(event))
    return log


def rebuilt(space: str, events: Iterable[Event]) -> SpaceLog:
    """A log folded from `events` all at once, as when a space is loaded or rebuilt."""
    return SpaceLog.from_entries(space, [entry_of(event) for event in events], domains.rules())


def decide(space: SpaceBuilder) -> SpaceLog:
    """The log of everything `space` signed, checked against a from-scratch rebuild."""
    log = log_of(space.space, space.events)
    again = rebuilt(space.space, space.events)
    assert (again.order, again.reasons, again.authority) == (log.order, log.reasons, log.authority)
    return log


def authority(log: SpaceLog) -> Authority:
    """The log's current authority, which exists once the space is created."""
    assert log.authority is not None
    return log.authority


def parents_first(events: Sequence[Event], rng: random.Random) -> list[Event]:
    """A random arrival order in which every event comes after all of its parents."""
    by_id = {event.id: event for event in events}
    waiting = {event.id: len(event.prev) for event in events}
    children: dict[str, list[str]] = {}
    for event in events:
        for parent in event.prev:
            children.setdefault(parent, []).append(event.id)
    ready = sorted(event_id for event_id, count in waiting.items() if count == 0)
    arrival: list[Event] = []
    while ready:
        event_id = ready.pop(rng.randrange(len(ready)))
        arrival.append(by_id[event_id])
        for child in children.get(event_id, ()):
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    return arrival
