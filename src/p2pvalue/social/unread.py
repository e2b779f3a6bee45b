"""The unread count every page shows, kept per member until what it rests on changes.

Deriving a member's notifications reads every space they are in (thousands of notes for a
busy reviewer), and the count is asked on every page. So the ids derived are kept with
the store's state they were derived at (how many spaces and events it holds, which a
write by any worker of the node changes) and a window of the node's clock (some turn on
time: a proposal closing soon, news older than `RECENT_MS`); and the count with the state
of the member's read marks. A page where neither changed costs one statement.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from p2pvalue.store import notices as store

CACHED_MEMBERS = 512  # members whose count is kept, the most recently asked
FRESH_MS = 60_000  # ids are derived again at least this often by the node's clock


@dataclass(frozen=True)
class Counted:
    """A member's notification ids as derived at `derived` (spaces, events, clock window),
    and how many were unread with their read marks at `marks` (how many, the latest)."""

    derived: tuple[int, int, int]
    ids: tuple[str, ...]
    marks: tuple[int, int]
    unread: int


class UnreadCounts:
    """Per member, how many of their notifications they have not marked read."""

    def __init__(
        self, engine: Engine, clock: Callable[[], int], derive: Callable[[str], Sequence[str]],
        size: int = CACHED_MEMBERS,
    ) -> None:  # fmt: skip
        """`derive` gives a member's current notification ids, one per notification."""
        self._engine = engine
        self._clock = clock
        self._derive = derive
        self._size = size
        self._kept: OrderedDict[str, Counted] = OrderedDict()
        self._lock = threading.Lock()

    def count(self, did: str) -> int:
        """How many of `did`'s notifications they have not marked read, as the store now is."""
        with self._engine.connect() as conn:
            fresh = store.freshness(conn, did)
        # Read before deriving: a write meanwhile leaves the ids kept under an older state,
        # which the next count finds changed.
        derived = (fresh.spaces, fresh.events, self._clock() // FRESH_MS)
        marks = (fresh.marks, fresh.last_read)
        with self._lock:
            kept = self._kept.get(did)
        if kept is not None and kept.derived == derived and kept.marks == marks:
            return kept.unread
        ids = kept.ids if kept is not None and kept.derived == derived else tuple(self._derive(did))
        with self._engine.connect() as conn:
            read = store.read_notes(conn, did)
        counted = Counted(derived, ids, marks, sum(note not in read for note in ids))
        with self._lock:
            self._kept[did] = counted
            self._kept.move_to_end(did)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return counted.unread

    def forget(self) -> None:
        """Drop every count kept (the projections were rebuilt)."""
        with self._lock:
            self._kept.clear()
