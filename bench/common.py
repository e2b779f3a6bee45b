"""Shared by the benchmarks: a realistic signed log, generated outside the timed part."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from p2pvalue.events.event import Event, build_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.governance.templates import default_charter

MEMBERS = 50


def community_log(count: int, members: int = MEMBERS) -> Iterator[Event]:
    """A space founded by one key, joined by `members` others, then posts in a linear chain."""
    founder = KeyPair.generate()
    people = [KeyPair.generate() for _ in range(members)]
    charter = default_charter("open")
    ts = int(time.time() * 1000) - count
    create = build_event(founder, "space.create", {"name": "Bench", "charter": charter},
                         space=None, ts=ts)  # fmt: skip
    yield create
    head, depth = create.id, 0
    for index in range(1, count):
        key = people[index % members] if index > members else people[index - 1]
        if index <= members:
            kind, content = "member.join", {}
        else:
            kind, content = "post.create", {"text": f"contribution note {index}"}
        event = build_event(key, kind, content, space=create.id, prev=[head], depth=depth + 1,
                            ts=ts + index)  # fmt: skip
        head, depth = event.id, depth + 1
        yield event


def wires(events: list[Event]) -> list[dict[str, Any]]:
    return [event.wire for event in events]
