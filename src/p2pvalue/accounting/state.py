"""Each space's ledger, kept folded as its log grows instead of refolded on every read.

A space's ledger is `fold` of its accepted value events in the log's order. `Ledgers` keeps
that fold and the log position it reaches, and when the log changes folds only the events
after it. When an event arrives that sorts before positions already folded (a concurrent
event), or a decision changes under them (a concurrent revocation), it takes the events
from the first changed position back off the ledger (`undo`, latest first) and folds that
suffix again; the last `JOURNAL` folded events can be taken back so, and a change further
back refolds the whole space (rare: a long-lost branch arriving). Either way the ledger is
exactly the one `fold` gives over all the events, as a test checks.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from p2pvalue.accounting.ledger import LEDGER_TYPES, apply_event
from p2pvalue.accounting.model import Ledger, ValueEvent
from p2pvalue.accounting.undo import Undo, applied, published, undo
from p2pvalue.folding import EventLog, Folding
from p2pvalue.log_changes import Suffix
from p2pvalue.snapshots import Snapshots

JOURNAL = 4096  # folded events that can be taken back, per space
SNAPSHOT = "ledger.1"  # bumped whenever `Folded` or the ledger's records change shape or sense


@dataclass
class Folded:
    """One space's ledger and how to take its last events back: (log position, record) for
    each, oldest first."""

    ledger: Ledger
    journal: deque[tuple[int, Undo]] = field(default_factory=deque)
    floor: int = 0  # events before this position can no longer be taken back

    def fold(self, events: list[tuple[int, ValueEvent]], journal: int) -> None:
        """Fold events that follow the ones folded, journalling the last `journal` ones."""
        for position, event in events:
            self.journal.append((position, applied(self.ledger, event)))
            if len(self.journal) > journal:
                self.floor = self.journal.popleft()[0] + 1

    def rewind(self, start: int) -> bool:
        """Take back every folded event at position `start` or later; False if some of them
        can no longer be taken back (then nothing is)."""
        if start < self.floor:
            return False
        while self.journal and self.journal[-1][0] >= start:
            undo(self.ledger, self.journal.pop()[1])
        return True

    def reaches(self, start: int) -> bool:
        """Whether some folded event is at position `start` or later."""
        return bool(self.journal) and self.journal[-1][0] >= start


class Ledgers:
    """The ledgers of a node's spaces, each kept up to date with its log.

    A ledger handed out is never changed afterwards: the next change folds into a copy of
    it (`published`), so a reader on another thread sees one consistent ledger."""

    def __init__(
        self, log: EventLog, snapshots: Snapshots | None = None, journal: int = JOURNAL
    ) -> None:  # fmt: skip
        self._journal = journal
        self._folding: Folding[Folded, Ledger] = Folding(
            log, LEDGER_TYPES, self._advance, lambda folded: folded.ledger,
            snapshots=snapshots, name=SNAPSHOT,
        )  # fmt: skip

    def forget(self) -> None:
        """Drop every folded ledger: the next read refolds it from the stored events."""
        self._folding.forget()

    def ledger(self, space: str) -> Ledger:
        """The space's ledger as its log now is."""
        return self._folding.read(space)

    def _advance(self, space: str, folded: Folded | None, suffix: Suffix) -> Folded | None:
        """Fold `suffix` into the space's ledger; None if it has to be read again from the
        start (a change further back than the journal reaches)."""
        if folded is None or suffix.start < folded.floor:
            return self._refold(suffix) if suffix.start == 0 else None
        if suffix.events or folded.reaches(suffix.start):
            folded.ledger = published(folded.ledger)
            folded.rewind(suffix.start)
            folded.fold(suffix.events, self._journal)
        return folded

    def _refold(self, suffix: Suffix) -> Folded:
        """The ledger of every event of `suffix` (which starts at 0), the last `JOURNAL`
        of them journalled."""
        folded = Folded(Ledger())
        plain = max(0, len(suffix.events) - self._journal)
        for _, event in suffix.events[:plain]:  # nobody holds this ledger yet: no copies
            apply_event(folded.ledger, event)
        folded.floor = suffix.events[plain - 1][0] + 1 if plain else 0
        folded.fold(suffix.events[plain:], self._journal)
        return folded
