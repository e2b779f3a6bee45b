"""What insight keeps folded from each space's log: the artefacts each collaboration event
worked on, and members' declared organisations, each at its log position.

Every record is a function of its own event alone, so when the log changes from a position
on, the records from there are dropped and that suffix read again; the result is exactly a
fold of the whole log (tests/insight/test_state.py checks it).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from p2pvalue.collab.service import COLLAB_TYPES
from p2pvalue.folding import EventLog, Folding
from p2pvalue.insight.kinds import AFFILIATION
from p2pvalue.insight.network import Touch, touches_of
from p2pvalue.log_changes import Suffix

READ_TYPES = COLLAB_TYPES | {AFFILIATION}


@dataclass(frozen=True)
class Records:
    """One space's records in log order: (position, touches) and (position, member,
    organisation)."""

    touches: tuple[tuple[int, tuple[Touch, ...]], ...] = ()
    affiliations: tuple[tuple[int, str, str], ...] = ()

    def organisations(self) -> dict[str, str]:
        """Each member's organisation as last declared (an empty one withdraws it)."""
        latest = {member: organisation for _, member, organisation in self.affiliations}
        return {member: name for member, name in latest.items() if name}

    def all_touches(self) -> list[Touch]:
        return [touch for _, found in self.touches for touch in found]


@dataclass
class _Kept:
    touches: list[tuple[int, tuple[Touch, ...]]] = field(default_factory=list)
    affiliations: list[tuple[int, str, str]] = field(default_factory=list)


class Folded:
    """The records of every space, kept up to date with its log."""

    def __init__(self, log: EventLog) -> None:
        self._folding: Folding[_Kept, Records] = Folding(
            log, READ_TYPES, _advance, _view, causal=False
        )

    def records(self, space: str) -> Records:
        return self._folding.read(space)

    def forget(self) -> None:
        self._folding.forget()


def _advance(space: str, kept: _Kept | None, suffix: Suffix) -> _Kept:
    found = _Kept() if kept is None else _Kept(
        kept.touches[: bisect_left(kept.touches, suffix.start, key=lambda r: r[0])],
        kept.affiliations[: bisect_left(kept.affiliations, suffix.start, key=lambda r: r[0])],
    )  # fmt: skip
    for position, event in suffix.events:
        if event.type == AFFILIATION:
            organisation = str(event.content.get("organisation", "")).strip()
            found.affiliations.append((position, event.author, organisation))
        else:
            touched = touches_of(event.id, event.type, event.author, event.content)
            if touched:
                found.touches.append((position, tuple(touched)))
    return found


def _view(kept: _Kept) -> Records:
    return Records(tuple(kept.touches), tuple(kept.affiliations))
