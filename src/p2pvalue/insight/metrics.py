"""Community health measures over contributions and value: pure functions of plain values.

Each one is defined in docs/insight.md (following CHAOSS where it defines one) and tested
against a fixture computed by hand (tests/insight/test_metrics.py).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from p2pvalue.insight.timeline import (
    KIND_ORDER,
    Contribution,
    Granularity,
    period_of,
    periods_between,
)

Number = int | float | Fraction


@dataclass(frozen=True, slots=True)
class PeriodActivity:
    """Who contributed in one period, and how they stand against the period before."""

    period: str
    active: int
    new: int
    returning: int
    continuing: int
    departed: int
    contributions: int
    absence_factor: int
    by_kind: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Cohort:
    """Members whose first contribution fell in `period`, and the share of them active in
    each period since (index 0 is `period` itself, always 1)."""

    period: str
    size: int
    retained: tuple[float, ...]


def active_by_period(
    made: Iterable[Contribution], granularity: Granularity
) -> dict[str, Mapping[str, Counter[str]]]:
    """Per period (gaps included), per member, their contributions counted by kind."""
    found: dict[str, dict[str, Counter[str]]] = {}
    for contribution in made:
        period = period_of(contribution.at, granularity)
        found.setdefault(period, {}).setdefault(contribution.author, Counter())[
            contribution.kind
        ] += 1
    return with_gaps(found, granularity)


def with_gaps(
    found: Mapping[str, Mapping[str, Counter[str]]], granularity: Granularity
) -> dict[str, Mapping[str, Counter[str]]]:
    """`found` (per period, per member, contributions by kind) in period order, the
    periods between with no one in them included."""
    if not found:
        return {}
    every = periods_between(min(found), max(found), granularity)
    return {period: found.get(period, {}) for period in every}


def activity(made: Sequence[Contribution], granularity: Granularity) -> list[PeriodActivity]:
    """Active, new, returning, continuing and departed contributors per period, with the
    contributions by kind and the period's Contributor Absence Factor."""
    return activity_of(active_by_period(made, granularity))


def activity_of(by_period: Mapping[str, Mapping[str, Counter[str]]]) -> list[PeriodActivity]:
    """`activity` from the contributions counted per period (`active_by_period`)."""
    seen: set[str] = set()
    before: set[str] = set()
    rows = []
    for period, people in by_period.items():
        now = set(people)
        new = now - seen
        kinds = Counter[str]()
        for counted in people.values():
            kinds.update(counted)
        rows.append(PeriodActivity(
            period=period, active=len(now), new=len(new),
            returning=len(now - new - before), continuing=len(now & before),
            departed=len(before - now), contributions=sum(kinds.values()),
            absence_factor=absence_factor({m: sum(c.values()) for m, c in people.items()}),
            by_kind={kind: kinds.get(kind, 0) for kind in KIND_ORDER},
        ))  # fmt: skip
        seen |= now
        before = now
    return rows


def cohorts(made: Sequence[Contribution], granularity: Granularity) -> list[Cohort]:
    """Retention by cohort: for the members who first contributed in each period, the share
    of them who contributed again in each later period."""
    return cohorts_of(active_by_period(made, granularity))


def cohorts_of(by_period: Mapping[str, Mapping[str, Counter[str]]]) -> list[Cohort]:
    """`cohorts` from the contributions counted per period (`active_by_period`)."""
    periods = list(by_period)
    first: dict[str, int] = {}
    for index, period in enumerate(periods):
        for member in by_period[period]:
            first.setdefault(member, index)
    members_of: dict[int, set[str]] = {}
    for member, index in first.items():
        members_of.setdefault(index, set()).add(member)
    return [
        Cohort(
            periods[index],
            len(group),
            tuple(
                len(group & by_period[periods[later]].keys()) / len(group)
                for later in range(index, len(periods))
            ),
        )
        for index, group in sorted(members_of.items())
    ]


def absence_factor(amounts: Mapping[str, Number]) -> int:
    """Contributor Absence Factor (CHAOSS): the fewest contributors who together made at
    least half of the total (of contributions, or of value); 0 when the total is 0."""
    positive = ordered((amount for amount in amounts.values() if amount > 0), reverse=True)
    total = sum(positive, Fraction(0))
    covered, count = Fraction(0), 0
    for amount in positive:
        if covered * 2 >= total:
            break
        covered += Fraction(amount)
        count += 1
    return count


def elephant_factor(amounts: Mapping[str, Number], organisation_of: Mapping[str, str]) -> int:
    """Elephant Factor (CHAOSS): the fewest organisations whose members together made at
    least half of the contributions of members with a declared organisation."""
    by_organisation: Counter[str] = Counter()
    for member, amount in amounts.items():
        organisation = organisation_of.get(member)
        if organisation:
            by_organisation[organisation] += amount  # type: ignore[assignment]
    return absence_factor(by_organisation)


def gini(amounts: Iterable[Number]) -> float:
    """The Gini coefficient of the amounts (0: all equal; near 1: one holds everything);
    0 when there are none or they sum to 0."""
    rising = ordered(amounts)
    total = sum(rising, Fraction(0))
    if not rising or total == 0:
        return 0.0
    n = len(rising)
    ranked = sum((rank * amount for rank, amount in enumerate(rising, start=1)), Fraction(0))
    return float(2 * ranked / (n * total) - Fraction(n + 1, n))


def top_share(amounts: Iterable[Number], fraction: float = 0.1) -> float:
    """The share of the total held by the top `fraction` of holders (at least one)."""
    falling = ordered(amounts, reverse=True)
    total = sum(falling, Fraction(0))
    if not falling or total == 0:
        return 0.0
    top = max(1, math.ceil(len(falling) * fraction))
    return float(sum(falling[:top], Fraction(0)) / total)


def ordered(amounts: Iterable[Number], reverse: bool = False) -> list[int | Fraction]:
    """The amounts as exact numbers (a float as its exact fraction), sorted. Compared by
    their nearest floats first (a float never orders two amounts the wrong way round, at
    worst it ties them) and exactly only where those tie: the exact order, without comparing
    thousands of fractions."""
    exact = (Fraction(a) if isinstance(a, float) else a for a in amounts)
    return sorted(exact, key=_by_float, reverse=reverse)


def _by_float(amount: int | Fraction) -> tuple[float, int | Fraction]:
    return float(amount), amount
