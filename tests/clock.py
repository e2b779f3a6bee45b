"""A node clock that tests move forward, instead of backdating events (which the node refuses
and which could never shorten a window anyway)."""

from __future__ import annotations

from typing import cast

from p2pvalue.events.event import now_ms
from p2pvalue.node import Node


class MovableClock:
    """The real time in ms plus an offset that only grows."""

    def __init__(self) -> None:
        self.offset = 0

    def __call__(self) -> int:
        return now_ms() + self.offset

    def advance(self, ms: int) -> None:
        self.offset += ms


def advance(node: Node, ms: int) -> int:
    """Move `node`'s clock (a `MovableClock`) forward by `ms`; the new time."""
    clock = cast(MovableClock, node.clock)
    clock.advance(ms)
    return clock()
