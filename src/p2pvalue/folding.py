"""State derived from a space's log, kept folded as the log grows instead of refolded on
every read (the ledger, the collaboration board and threads).

A `Folding` keeps, per space, what a domain folded and the log version and length it
reached. On a read it asks the write path what changed since (`events_since`: the accepted
events of the domain's types from the first position that changed, see `log_changes`) and
hands that suffix to the domain's `advance`, which folds it on, or says to read everything
again (a change further back than it can take). What a read returns (`view`) is taken
under the lock and never changed afterwards: `advance` folds into a new state, or into a
copy of the parts it changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from p2pvalue import collection
from p2pvalue.log_changes import Suffix

K = TypeVar("K")  # what the domain keeps folded for one space
V = TypeVar("V")  # what a read hands out


class EventLog(Protocol):
    """What a folding reads: the write path's events since a version of a space's log."""

    def events_since(
        self, space: str, types: frozenset[str], version: int | None, end: int,
        causal: bool = True,
    ) -> Suffix: ...  # fmt: skip


# Fold a suffix of the space's log into what was kept (None: nothing yet, and the suffix
# starts at 0); None when the whole log has to be read again (then nothing is kept).
Advance = Callable[[str, K | None, Suffix], K | None]


@dataclass(frozen=True)
class Kept(Generic[K, V]):
    """One space's folded state, what reads of it get, and the log version and length it
    was folded to."""

    state: K
    view: V
    version: int
    end: int


class Folding(Generic[K, V]):
    """Per space, a state folded from the log's accepted events of `types`, kept up to date."""

    def __init__(
        self, log: EventLog, types: frozenset[str], advance: Advance[K], view: Callable[[K], V],
        causal: bool = True,
    ) -> None:  # fmt: skip
        self._log = log
        self._causal = causal  # False: the domain reads no event's causal authority
        self._types = types
        self._advance = advance
        self._view = view
        self._kept: dict[str, Kept[K, V]] = {}
        # Held only while folding in memory, never while reading the log: the write path
        # tells its listeners of a commit under its own lock, and they read folded state.
        self._lock = threading.Lock()

    def read(self, space: str) -> V:
        """The space's state as its log now is."""
        while True:
            with self._lock:
                kept = self._kept.get(space)
            version, end = (kept.version, kept.end) if kept else (None, 0)
            with collection.paused():  # see `collection`: a fold makes many objects
                suffix = self._log.events_since(space, self._types, version, end, self._causal)
                with self._lock:
                    current = self._kept.get(space)
                    if current is not None and current.version == suffix.version:
                        return current.view
                    if current is kept:
                        found = self._fold(space, kept, suffix)
                        if found is not None:
                            return found
            # another thread folded meanwhile, or everything has to be read again

    def forget(self) -> None:
        """Drop every space's state: the next read folds it again from the whole log."""
        with self._lock:
            self._kept.clear()

    def _fold(self, space: str, kept: Kept[K, V] | None, suffix: Suffix) -> V | None:
        state = self._advance(space, kept.state if kept else None, suffix)
        if state is None:
            self._kept.pop(space, None)
            return None
        view = self._view(state)
        self._kept[space] = Kept(state, view, suffix.version, suffix.length)
        return view
