"""What members did and when, read from a space's log: each accepted contribution with the
time it counts at, and the periods (ISO weeks, calendar months) it falls in.

An author chooses their event's `ts`, but not freely: the log refuses one earlier than its
parents' (so nothing moves before what its author had seen, ticks of the timekeeper
included), and a node refuses its own members' actions far from its clock. No count rests
on it: a `ts` moves a contribution between periods at most. Where the code has a time its
author cannot choose, insight uses that instead: a claim's review and a proposal's vote start
when a timekeeper first held them (`witnessed`), and decisions are timed by the close the
timekeeper signs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, NamedTuple, Protocol

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS

# The kinds of contribution, by event type: what the charts and the kind counts show.
KINDS: Mapping[str, str] = {
    "contribution.claim": "claims",
    "contribution.review": "reviews",
    "contribution.endorse": "reviews",
    "project.create": "tasks",
    "project.update": "tasks",
    "task.create": "tasks",
    "task.claim": "tasks",
    "task.assign": "tasks",
    "task.submit": "tasks",
    "task.done": "tasks",
    "task.drop": "tasks",
    "task.reopen": "tasks",
    "thread.create": "discussion",
    "thread.reply": "discussion",
    "thread.edit": "discussion",
    "thread.react": "discussion",
    "post.create": "discussion",
    "doc.create": "documents",
    "doc.snapshot": "documents",
    "proposal.create": "governance",
    "proposal.open": "governance",
    "proposal.outcome": "governance",
    "vote.cast": "governance",
    "vote.commit": "governance",
    "vote.reveal": "governance",
    "delegation.set": "governance",
    "delegation.revoke": "governance",
    "followup.add": "governance",
    "followup.update": "governance",
}
KIND_ORDER = ("claims", "reviews", "tasks", "discussion", "documents", "governance")
Granularity = Literal["week", "month"]
GRANULARITIES: tuple[Granularity, ...] = ("week", "month")


class LogEntry(Protocol):
    """What the timeline reads of one event of the log."""

    @property
    def type(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def prev(self) -> tuple[str, ...]: ...
    @property
    def ts(self) -> int: ...


class Contribution(NamedTuple):
    """One accepted contribution: who made it, of which kind, when it counts, its event (a
    tuple: a space holds one per event)."""

    author: str
    kind: str
    at: int
    event: str


class EventTimes(Mapping[str, int]):
    """The time each event counts at: its `ts`, which the log holds no earlier than its
    parents' and its author's node held near its own clock (see the module's note); read
    from the log's entries as asked, never copied."""

    def __init__(self, entries: Mapping[str, LogEntry]) -> None:
        self._entries = entries

    def __getitem__(self, event: str) -> int:
        return self._entries[event].ts

    def get(self, event: str, default: Any = None) -> Any:  # without a KeyError per miss
        entry = self._entries.get(event)
        return default if entry is None else entry.ts

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def event_times(order: Sequence[str], entries: Mapping[str, LogEntry]) -> dict[str, int]:
    """The time of each event of `order` (see `EventTimes`)."""
    return {event: entries[event].ts for event in order}


def contributions(
    order: Sequence[str], entries: Mapping[str, LogEntry], refused: Mapping[str, str | None]
) -> list[Contribution]:
    """The log's accepted contributions (see `KINDS`) in the log's order, each at its
    time."""
    return [
        Contribution(entry.author, KINDS[entry.type], entry.ts, event)
        for event in order
        if (entry := entries[event]).type in KINDS and refused.get(event) is None
    ]


def period_of(at: int, granularity: Granularity) -> str:
    """The ISO date (UTC) of the first day of the week (Monday) or month holding `at`."""
    return _period_of_day(at // DAY_MS, granularity)


@lru_cache(maxsize=8192)
def _period_of_day(days: int, granularity: Granularity) -> str:
    day = datetime.fromtimestamp(days * 86_400, UTC).date()
    if granularity == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    return day.replace(day=1).isoformat()


def periods_between(first: str, last: str, granularity: Granularity) -> list[str]:
    """Every period from `first` to `last` (both period starts), in order, gaps included."""
    found, day = [], datetime.fromisoformat(first).date()
    end = datetime.fromisoformat(last).date()
    while day <= end:
        found.append(day.isoformat())
        if granularity == "week":
            day += timedelta(days=7)
        else:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found
