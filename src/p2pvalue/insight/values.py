"""Value and reputation over time ("cred over time"): each member's accepted value,
cumulative, at the end of each month, counted from when its claim was decided (the time of
the deciding review or close), as the ledger values it now; and each member's reputation at
the end of each month, of the claims decided by then."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from p2pvalue.accounting.graph import IndexArray, ReputationColumns
from p2pvalue.accounting.ledger import reputation_input
from p2pvalue.accounting.model import Ledger
from p2pvalue.accounting.reputation import reputation
from p2pvalue.accounting.types import FULL_SHARE
from p2pvalue.insight.timeline import Granularity, period_of, periods_between

BoolArray = NDArray[np.bool_]
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


def reputation_over_time(
    ledger: Ledger, members: Iterable[str], times: Mapping[str, int],
    member: str | None = None, granularity: Granularity = "month", top: int = TOP,
) -> list[dict[str, object]]:  # fmt: skip
    """Rows of (period, member, reputation) for `member`, or for the `top` members of the
    highest reputation now: at the end of each period from the first decision on, the
    reputation (`accounting.reputation`) of the claims accepted by then, as valued now,
    measured at that moment (so recency weighs as it did then).

    The columns of every accepted claim are made once, and each period takes those of the
    claims decided by its end (`decided_by`): the same columns, in the same order, as
    made from those claims alone, without going over every claim again in Python."""
    accepted = [c for c in ledger.accepted_claims() if c.valued is not None]
    if not accepted:
        return []
    decided = {c.id: times.get(c.decided_by, c.ts) if c.decided_by else c.ts for c in accepted}
    everyone = reputation_input(ledger, members)
    full = everyone.columns()
    moments = np.array([decided[work] for work in full.contributions], dtype=np.int64)
    listed = set(everyone.contributors)
    base = np.fromiter((did in listed for did in full.contributors), bool, len(full.contributors))
    periods = periods_between(period_of(int(moments.min()), granularity),
                              period_of(int(moments.max()), granularity), granularity)  # fmt: skip
    scores: list[tuple[str, Mapping[str, float]]] = []
    for period in periods:
        end = _period_end(period, granularity)
        kept = moments < end
        upto = decided_by(full, kept, base, end) if kept.any() else None
        scores.append((period, reputation(upto).scores if upto is not None else {}))
    latest = scores[-1][1]
    chosen = [member] if member else sorted(latest, key=lambda d: (-latest[d], d))[:top]
    return [
        {"period": period, "member": did, "reputation": round(found.get(did, 0.0), 6)}
        for did in chosen
        for period, found in scores
    ]


def decided_by(
    full: ReputationColumns, kept: BoolArray, base: BoolArray, now_ms: int
) -> ReputationColumns:  # fmt: skip
    """The columns of the contributions `kept` of `full`, measured at `now_ms`: those
    contributions, the contributors of `base` and those the kept ones mention, and the
    artefacts they belong to, each kept in its order and numbered anew."""
    contribution = _renumbering(kept)
    authorship = kept[full.authorship_contribution]
    review = kept[full.review_contribution]
    endorsement = kept[full.endorsement_contribution]
    people = base.copy()
    for mask, who in ((authorship, full.authorship_contributor),
                      (review, full.review_contributor),
                      (endorsement, full.endorsement_contributor)):  # fmt: skip
        people[who[mask]] = True
    person = _renumbering(people)
    belongs = full.artefact[kept]
    used = np.zeros(len(full.artefacts), dtype=bool)
    used[belongs[belongs >= 0]] = True
    artefact = np.full(len(belongs), -1, dtype=np.int64)
    artefact[belongs >= 0] = _renumbering(used)[belongs[belongs >= 0]]
    return ReputationColumns(
        contributors=[full.contributors[i] for i in np.flatnonzero(people).tolist()],
        contributions=[full.contributions[i] for i in np.flatnonzero(kept).tolist()],
        artefacts=[full.artefacts[i] for i in np.flatnonzero(used).tolist()],
        value=full.value[kept], timestamp_ms=full.timestamp_ms[kept],
        artefact=artefact,
        authorship_contribution=contribution[full.authorship_contribution[authorship]],
        authorship_contributor=person[full.authorship_contributor[authorship]],
        authorship_share=full.authorship_share[authorship],
        review_contribution=contribution[full.review_contribution[review]],
        review_contributor=person[full.review_contributor[review]],
        endorsement_contribution=contribution[full.endorsement_contribution[endorsement]],
        endorsement_contributor=person[full.endorsement_contributor[endorsement]],
        endorsement_weight=full.endorsement_weight[endorsement],
        now_ms=now_ms,
    )  # fmt: skip


def _renumbering(kept: BoolArray) -> IndexArray:
    """For each index of the whole, its index among those `kept` (order kept)."""
    return np.cumsum(kept, dtype=np.int64) - 1


def _period_end(period: str, granularity: Granularity) -> int:
    """The first moment (ms since the epoch, UTC) after the period starting on `period`."""
    start = datetime.fromisoformat(period).replace(tzinfo=UTC)
    if granularity == "week":
        after = start + timedelta(days=7)
    else:
        after = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return int(after.timestamp() * 1000)
