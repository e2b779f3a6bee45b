"""State derived from a space's log, kept folded as the log grows instead of refolded on
every read (the ledger, the collaboration board and threads).

A `Folding` keeps, per space, what a domain folded and the log version and length it
reached. On a read it asks the write path what changed since (`events_since`: the accepted
events of the domain's types from the first position that changed, see `log_changes`) and
hands that suffix to the domain's `advance`, which folds it on, or says to read everything
again (a change further back than it can take). What a read returns (`view`) is taken
under the lock and never changed afterwards: `advance` folds into a new state, or into a
copy of the parts it changes.

A folding given `snapshots` and a `name` starts a space from its snapshot where there is one
that matches the log (see `p2pvalue.snapshots`), and saves one when asked (`save`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from p2pvalue import collection
from p2pvalue.log_changes import Suffix
from p2pvalue.snapshots import MIN_EVENTS, Snapshots, dump

K = TypeVar("K")  # what the domain keeps folded for one space
V = TypeVar("V")  # what a read hands out


class EventLog(Protocol):
    """What a folding reads: the write path's events since a version of a space's log."""

    def events_since(
        self, space: str, types: frozenset[str], version: int | None, end: int,
        causal: bool = True,
    ) -> Suffix: ...  # fmt: skip

    def events_after(
        self, space: str, types: frozenset[str], end: int, digest: str, causal: bool = True
    ) -> Suffix | None: ...

    def digest(self, space: str, version: int, end: int) -> str | None: ...


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
        causal: bool = True, snapshots: Snapshots | None = None, name: str = "",
    ) -> None:  # fmt: skip
        """`name`: what the snapshots of this folding are saved as; it names the version of
        the state's shape too, so that a snapshot of another is never read back."""
        self._log = log
        self._causal = causal  # False: the domain reads no event's causal authority
        self._types = types
        self._advance = advance
        self._view = view
        self._kept: dict[str, Kept[K, V]] = {}
        self._snapshots, self.name = snapshots, name
        self._saved: dict[str, int] = {}  # per space, the log position of its last snapshot
        self._tried: set[str] = set()  # spaces whose snapshot was looked for
        if snapshots is not None:
            snapshots.track(self)
        # Held only while folding in memory, never while reading the log: the write path
        # tells its listeners of a commit under its own lock, and they read folded state.
        self._lock = threading.Lock()

    def read(self, space: str) -> V:
        """The space's state as its log now is."""
        while True:
            with self._lock:
                kept = self._kept.get(space)
                restore = self._snapshots is not None and kept is None
                restore = restore and space not in self._tried
                self._tried.add(space)
            if restore:
                restored = self._restore(space)
                if restored is not None:
                    return restored
                with self._lock:  # folded by another thread meanwhile, or not at all
                    kept = self._kept.get(space)
            version, end = (kept.version, kept.end) if kept else (None, 0)
            with collection.paused():  # see `collection`: a fold makes many objects
                suffix = self._log.events_since(space, self._types, version, end, self._causal)
                with self._lock:
                    current = self._kept.get(space)
                    if current is not None and current.version == suffix.version:
                        return current.view
                    if current is kept:
                        found = self._fold(space, kept.state if kept else None, suffix)
                        if found is not None:
                            return found
            # another thread folded meanwhile, or everything has to be read again

    def forget(self) -> None:
        """Drop every space's state: the next read folds it again from the whole log."""
        with self._lock:
            self._kept.clear()
            self._saved.clear()
            self._tried.clear()

    def unsaved(self, grown: int, others: Iterable[str] = ()) -> list[str]:
        """The spaces of at least `MIN_EVENTS` events with no snapshot yet, or whose log
        grew by `grown` or more since their last one; and those of `others` not folded
        here yet."""
        with self._lock:
            found = [
                space for space, kept in self._kept.items()
                if kept.end >= MIN_EVENTS
                and (space not in self._saved or kept.end - self._saved[space] >= grown)
            ]  # fmt: skip
            return found + [space for space in others if space not in self._kept]

    def saved_at(self, space: str) -> int | None:
        """The log position the space's state was last saved at or started from."""
        with self._lock:
            return self._saved.get(space)

    def save(self, space: str) -> bool:
        """Save the space's state, folded up to the log as it now is, as its snapshot;
        False if there is nothing to save or the log moved on meanwhile."""
        assert self._snapshots is not None, "a folding without snapshots saves none"
        self.read(space)
        with self._lock:
            kept = self._kept.get(space)
        if kept is None:
            return False
        digest = self._log.digest(space, kept.version, kept.end)  # never under our lock
        if digest is None:
            return False
        with self._lock:  # the state is not folded on while it is pickled
            if self._kept.get(space) is not kept:
                return False
            body = dump((kept.state, kept.view))
        self._snapshots.save(space, self.name, kept.end, digest, body)
        with self._lock:
            self._saved[space] = kept.end
        return True

    def _restore(self, space: str) -> V | None:
        """The space's state folded on from its snapshot; None if there is none that
        matches the log (or another thread folded it meanwhile)."""
        assert self._snapshots is not None
        saved = self._snapshots.load(space, self.name)
        if saved is None or not (isinstance(saved.state, tuple) and len(saved.state) == 2):
            return None
        state, view = saved.state
        with collection.paused():
            suffix = self._log.events_after(space, self._types, saved.end, saved.digest,
                                            self._causal)  # fmt: skip
            if suffix is None:
                return None
            with self._lock:
                if space in self._kept:
                    return None
                self._saved[space] = saved.end
                return self._fold(space, state, suffix, view)

    def _fold(
        self, space: str, state: K | None, suffix: Suffix, view: V | None = None
    ) -> V | None:  # fmt: skip
        """Fold `suffix` into `state`; `view`: what reads of `state` got, if it is known
        (a snapshot's), kept when the suffix brought nothing."""
        folded = self._advance(space, state, suffix)
        if folded is None:
            self._kept.pop(space, None)
            return None
        if view is None or folded is not state or suffix.start != suffix.length:
            view = self._view(folded)
        self._kept[space] = Kept(folded, view, suffix.version, suffix.length)
        return view
