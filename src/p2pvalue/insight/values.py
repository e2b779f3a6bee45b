"""Value over time ("cred over time"): each member's accepted value, cumulative, at the end
of each month, counted from when its claim was decided (the time of the deciding
review or close), as the ledger values it now."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from p2pvalue.accounting.model import Ledger
from p2pvalue.accounting.types import FULL_SHARE
from p2pvalue.insight.timeline import Granularity, period_of, periods_between

TOP = 8  # members a space's chart follows: those holding the most value


def value_over_time(
    ledger: Ledger, times: Mapping[str, int], member: str | None = None,
    granularity: Granularity = "month", top: int = TOP,
) -> list[dict[str, object]]:  # fmt: skip
    """Rows of (period, member, cumulative value) for `member`, or for the `top` members
    holding the most value, every period from the first decision on."""
    gained: dict[tuple[str, str], Fraction] = {}
    for claim in ledger.claims.values():
        if claim.status not in ("accepted", "rejected") or claim.decided_by is None:
            continue
        period = period_of(times.get(claim.decided_by, claim.ts), granularity)
        if claim.status == "accepted" and claim.valued is not None:
            for did, share in claim.shares.items():
                _add(gained, period, did, claim.valued.value * share / FULL_SHARE)
        for review in claim.reviews.values():
            if (review.counts or review.second_round) and review.valued is not None:
                _add(gained, period, review.reviewer, review.valued.value)
    if not gained:
        return []
    totals: dict[str, Fraction] = {}
    for (_, did), value in gained.items():
        totals[did] = totals.get(did, Fraction(0)) + value
    chosen = [member] if member else sorted(totals, key=lambda d: (-totals[d], d))[:top]
    periods = periods_between(min(p for p, _ in gained), max(p for p, _ in gained), granularity)
    rows: list[dict[str, object]] = []
    for did in chosen:
        running = Fraction(0)
        for period in periods:
            running += gained.get((period, did), Fraction(0))
            rows.append({"period": period, "member": did, "value": float(running)})
    return rows


def _add(gained: dict[tuple[str, str], Fraction], period: str, did: str, value: Fraction) -> None:
    gained[(period, did)] = gained.get((period, did), Fraction(0)) + value
