"""Where each committed batch changed a space's log, so that state derived from the log
(the ledger) folds only what is new, or refolds from the first place that changed.

A batch changes the log from one version to the next. Everything before its first changed
position keeps its place in the order, its decision and the authority of its causal past:
an event placed concurrently moves only what follows it, and a decision that changes (a
concurrent revocation arriving) changes the causal authority of events after it only.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass

from p2pvalue.events.authority import Authority, AuthorizedEvent
from p2pvalue.events.log import Delta, SpaceLog

KEEP = 256  # batches remembered per space; a reader further behind refolds everything


@dataclass(frozen=True)
class Suffix:
    """A space's accepted events of some types from the log position `start` on, each with
    its position, read at log `version` when the log held `length` events and its
    authority was `authority`."""

    version: int
    start: int
    length: int
    events: list[tuple[int, AuthorizedEvent]]
    authority: Authority | None = None


def first_changed(log: SpaceLog, delta: Delta) -> int:
    """The first position of `log` that a batch with the accumulated `delta` may have
    changed: where its order moved, or the earliest event whose decision changed."""
    first = len(log.order) if delta.moved_from is None else delta.moved_from
    for event_id in delta.reasons:
        first = min(first, log.position.get(event_id, 0))
    return first


def prefix_digest(log: SpaceLog, end: int) -> str:
    """A hash of the log's first `end` positions: each event's id and whether it stands.
    State folded from those positions is the same wherever they hash the same, whatever
    follows them (a snapshot is checked by it, see `p2pvalue.snapshots`)."""
    reasons = log.reasons
    marked = (i if reasons.get(i) is None else "!" + i for i in log.order[:end])
    return hashlib.blake2b("\n".join(marked).encode(), digest_size=32).hexdigest()


class Changes:
    """Per space, the recent batches: (version before, version after, first changed)."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._batches: dict[str, deque[tuple[int | None, int, int]]] = {}

    def record(self, space: str, before: int | None, after: int, first: int) -> None:
        batches = self._batches.setdefault(space, deque(maxlen=self._keep))
        batches.append((before, after, first))

    def spaces(self) -> list[str]:
        """The spaces whose batches are remembered."""
        return list(self._batches)

    def forget(self, space: str | None = None) -> None:
        """Forget what changed (the log was reloaded): readers behind it refold everything."""
        if space is None:
            self._batches.clear()
        else:
            self._batches.pop(space, None)

    def unchanged(self, log: SpaceLog, since: int | None) -> int:
        """How many of `log`'s first events (in order) are as they were at version
        `since`: all of them when it is the current version, 0 when that is unknown."""
        if since == log.version:
            return len(log.order)
        current, first = log.version, len(log.order)
        for before, after, changed in reversed(self._batches.get(log.space, ())):
            if after != current:
                return 0
            first, current = min(first, changed), before  # type: ignore[assignment]
            if current == since:
                return first
        return 0
