"""What insight keeps folded from each space's log, as the log grows.

`Folded`: the artefacts each collaboration event worked on, and members' declared
organisations, each at its log position. Every record is a function of its own event
alone, so when the log changes from a position on, the records from there are dropped and
that suffix read again; a read that changed none of them gets the same records back.

`Contributions`: each accepted contribution as a tuple, read from the log's in-memory index
(no stored content is read), counted per author and per week and month; the contributions
from a changed position on are counted back out and that suffix counted in.

Either way the result is exactly a fold of the whole log (tests/insight/test_service.py
checks it).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from p2pvalue.collab.service import COLLAB_TYPES
from p2pvalue.events.log import SpaceLog
from p2pvalue.folding import EventLog, Folding
from p2pvalue.insight import metrics
from p2pvalue.insight.kinds import AFFILIATION
from p2pvalue.insight.network import Touch, touches_of
from p2pvalue.insight.timeline import DAY_MS, GRANULARITIES, KINDS, Contribution, period_of
from p2pvalue.log_changes import Suffix
from p2pvalue.snapshots import Snapshots

READ_TYPES = COLLAB_TYPES | {AFFILIATION}
# The names of the snapshots, bumped whenever what they keep changes shape or sense.
RECORDS_SNAPSHOT, CONTRIBUTIONS_SNAPSHOT = "insight.records.1", "insight.contributions.1"


class WritePath(EventLog, Protocol):
    """What insight reads of the write path: changes since a version, and the in-memory log."""

    def log(self, space: str) -> SpaceLog | None: ...


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
    view: Records | None = None  # what reads of these records get, once made


class Folded:
    """The records of every space, kept up to date with its log."""

    def __init__(self, log: EventLog, snapshots: Snapshots | None = None) -> None:
        self._folding: Folding[_Kept, Records] = Folding(
            log, READ_TYPES, _advance, _view, causal=False, snapshots=snapshots,
            name=RECORDS_SNAPSHOT,
        )  # fmt: skip

    def records(self, space: str) -> Records:
        return self._folding.read(space)

    def forget(self) -> None:
        self._folding.forget()


def _advance(space: str, kept: _Kept | None, suffix: Suffix) -> _Kept:
    if kept is not None and not suffix.events and not _reaches(kept, suffix.start):
        return kept  # nothing of insight's changed: the same records
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


def _reaches(kept: _Kept, start: int) -> bool:
    last = max(kept.touches[-1][0] if kept.touches else -1,
               kept.affiliations[-1][0] if kept.affiliations else -1)  # fmt: skip
    return last >= start


def _view(kept: _Kept) -> Records:
    if kept.view is None:
        kept.view = Records(tuple(kept.touches), tuple(kept.affiliations))
    return kept.view


@dataclass(frozen=True)
class Activity:
    """One space's accepted contributions in log order, counted per author, and the
    activity and retention measures per granularity, at one version of its log."""

    made: tuple[Contribution, ...]
    counts: Mapping[str, int]
    activity: Mapping[str, list[metrics.PeriodActivity]]
    cohorts: Mapping[str, list[metrics.Cohort]]


@dataclass
class _Counted:
    made: list[Contribution] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    periods: dict[str, dict[str, dict[str, Counter[str]]]] = field(
        default_factory=lambda: {granularity: {} for granularity in GRANULARITIES}
    )

    def count(self, made: Iterable[Contribution], step: int) -> None:
        """Count `made` in (step 1) or out (step -1)."""
        by_day = Counter((c.author, c.kind, c.at // DAY_MS) for c in made)
        for (author, kind, day), times in by_day.items():
            left = self.counts[author] = self.counts.get(author, 0) + step * times
            if not left:
                del self.counts[author]
            for granularity, periods in self.periods.items():
                period = period_of(day * DAY_MS, granularity)  # type: ignore[arg-type]
                people = periods.setdefault(period, {})
                kinds = people.setdefault(author, Counter())
                kinds[kind] += step * times
                if not kinds[kind]:
                    del kinds[kind]
                    if not kinds:
                        del people[author]
                        if not people:
                            del periods[period]


class Contributions:
    """The accepted contributions of every space and what is counted of them, kept up to
    date with its log: read from the log's in-memory index (type, author, time of each
    event), never from the stored contents, and counted on (or back off) as events are
    added (or a change moves some already counted)."""

    def __init__(self, log: WritePath, snapshots: Snapshots | None = None) -> None:
        self._log = log
        self._folding: Folding[_Counted, Activity] = Folding(
            log, frozenset(), self._advance, _activity, causal=False, snapshots=snapshots,
            name=CONTRIBUTIONS_SNAPSHOT,
        )  # fmt: skip

    def read(self, space: str) -> Activity:
        return self._folding.read(space)

    def forget(self) -> None:
        self._folding.forget()

    def _advance(self, space: str, kept: _Counted | None, suffix: Suffix) -> _Counted | None:
        log = self._log.log(space)
        if log is None or log.version != suffix.version:
            return None  # the log moved on since: read it again
        counted = _Counted() if kept is None else kept
        keep = bisect_left(counted.positions, suffix.start)
        counted.count(counted.made[keep:], -1)
        del counted.made[keep:], counted.positions[keep:]
        order, entries, refused = log.order, log.entries, log.reasons
        added = len(counted.made)
        for position in range(suffix.start, suffix.length):
            event = order[position]
            entry = entries[event]
            kind = KINDS.get(entry.type)
            if kind is not None and refused.get(event) is None:
                counted.made.append(Contribution(entry.author, kind, entry.ts, event))
                counted.positions.append(position)
        counted.count(counted.made[added:], 1)
        return counted


def _activity(counted: _Counted) -> Activity:
    by_period = {g: metrics.with_gaps(counted.periods[g], g) for g in GRANULARITIES}
    return Activity(
        made=tuple(counted.made), counts=dict(counted.counts),
        activity={g: metrics.activity_of(by_period[g]) for g in GRANULARITIES},
        cohorts={g: metrics.cohorts_of(by_period[g]) for g in GRANULARITIES},
    )  # fmt: skip
