"""A space's history written on concurrent branches (as nodes writing at once make it),
and arrival orders for it: for property tests that a state folded on as events arrive
equals a full refold, whatever the order."""

from __future__ import annotations

import random
from typing import Any

from p2pvalue.events.event import Event, build_event, now_ms
from p2pvalue.events.keys import KeyPair
from p2pvalue.node import Node

BRANCHES = 3
# What to do next: (action, branch, author, target, merge: 0 merges the branches).
Action = tuple[KeyPair, str, Any]


class History:
    """A space's events built on concurrent branches, each also taken by `generator` as it
    is made (so an action can be planned by what its author's node held). Subclasses say
    what each step does (`action`) and note what it made (`made`)."""

    def __init__(self, generator: Node, charter: dict[str, Any], members: int = 4) -> None:
        self.generator = generator
        self.founder = KeyPair.generate()
        self.members = [self.founder, *(KeyPair.generate() for _ in range(members - 1))]
        self.ts = now_ms() - 60_000
        create = build_event(self.founder, "space.create", {"name": "Prop", "charter": charter},
                             space=None, ts=self.ts)  # fmt: skip
        self.space = create.id
        self.events: list[Event] = []
        self.depth: dict[str, int] = {}
        self.removed: set[int] = set()
        self._take(create)
        head = create.id
        for key in self.members[1:]:
            head = self.add(key, "member.join", {}, [head]).id
        self.heads = [head] * BRANCHES

    def add(self, key: KeyPair, type: str, content: dict[str, Any], prev: list[str]) -> Event:
        self.ts += 1
        depth = 1 + max(self.depth[p] for p in prev)
        event = build_event(key, type, content, space=self.space, prev=prev, depth=depth,
                            ts=self.ts)  # fmt: skip
        self._take(event)
        return event

    def _take(self, event: Event) -> None:
        [outcome] = self.generator.ingest([event.wire])
        assert outcome.status in ("accepted", "rejected"), outcome
        self.events.append(event)
        self.depth[event.id] = event.depth

    def step(self, kind: str, branch: int, author: int, target: int, merge: int) -> None:
        prev = sorted(set(self.heads)) if merge == 0 else [self.heads[branch]]
        action = self.action(kind, author, target)
        if action is None:
            return
        key, type, content = action
        event = self.add(key, type, content, prev)
        self.made(kind, event)
        if merge == 0:
            self.heads = [event.id] * BRANCHES
        else:
            self.heads[branch] = event.id

    def action(self, kind: str, author: int, target: int) -> Action | None:
        raise NotImplementedError

    def made(self, kind: str, event: Event) -> None:
        """Note an event this history made for step `kind`."""

    def remove(self, author: int) -> Action | None:
        """The founder removes member `author` (once; never the founder): a revocation."""
        if author == 0 or author in self.removed:
            return None
        self.removed.add(author)
        return self.founder, "member.remove", {"member": self.members[author].did}


def arrival_order(events: list[Event], arrival: random.Random) -> list[Event]:
    """The events in a random order: mostly as a node would send them (each after its
    parents, the branches interleaved at random), else shuffled outright (children held
    until their parents come)."""
    if arrival.random() < 0.25:
        return arrival.sample(events, len(events))
    delivered: set[str] = set()
    waiting = list(events)
    order = []
    while waiting:
        ready = [e for e in waiting if all(p in delivered for p in e.prev)]
        chosen = arrival.choice(ready)
        waiting.remove(chosen)
        delivered.add(chosen.id)
        order.append(chosen)
    return order
