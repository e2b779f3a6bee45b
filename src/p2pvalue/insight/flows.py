"""How claims move through review and proposals through decision: pure functions of the
ledger's claims and the space's proposals, timed as the log times them.

A claim's review starts when a timekeeper first held it (`witnessed`, the start of its
window), or, until one did, at the time of the claim itself; it is decided at the time of
the review or the timekeeper's close that decided it. A proposal's decision takes from the
start of its window (`starts_at`) to its close.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from p2pvalue.accounting.model import Claim
from p2pvalue.governance.proposals import OPEN, Proposal

HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class ReviewFlow:
    """Review in a space: hours from a claim's start to its first review and to its
    acceptance (medians over the claims that got there), and reviews per reviewer."""

    claims: int
    reviewed: int
    accepted: int
    first_review_hours: float | None
    acceptance_hours: float | None
    load: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Decision:
    """One proposal that was opened: turnout among its eligible voters, and hours from the
    start of its window to its close (None while open)."""

    proposal: str
    title: str
    status: str
    eligible: int
    voted: int
    hours_to_decision: float | None

    @property
    def turnout(self) -> float:
        return self.voted / self.eligible if self.eligible else 0.0


@dataclass(frozen=True, slots=True)
class Delegation:
    """Delegation in use now: how many delegations stand and how many members gave one."""

    delegations: int
    delegators: int
    delegates: int


def review_flow(claims: Iterable[Claim], times: Mapping[str, int]) -> ReviewFlow:
    """Time to first review, time to acceptance and review load over `claims`."""
    first, accepted, load = [], [], Counter[str]()
    count = 0
    for claim in claims:
        count += 1
        start = claim.witnessed if claim.witnessed is not None else times.get(claim.id, claim.ts)
        reviewed = [times.get(r.event, r.ts) for r in claim.reviews.values()]
        load.update(r.reviewer for r in claim.reviews.values())
        if reviewed:
            first.append(max(0, min(reviewed) - start))
        if claim.status == "accepted" and claim.decided_by is not None:
            decided = times.get(claim.decided_by)
            if decided is not None:
                accepted.append(max(0, decided - start))
    return ReviewFlow(count, len(first), len(accepted), _median_hours(first),
                      _median_hours(accepted), dict(load.most_common()))  # fmt: skip


def decisions(proposals: Iterable[Proposal]) -> list[Decision]:
    """Turnout and time to decision of every proposal that was opened, oldest first."""
    found = []
    for proposal in sorted(proposals, key=lambda p: (p.starts_at, p.id)):
        if proposal.policy is None:
            continue
        voted = len(proposal.eligible & proposal.ballots.keys())
        hours = None
        if proposal.status != OPEN and proposal.closed_ts is not None:
            hours = max(0, proposal.closed_ts - proposal.starts_at) / HOUR_MS
        found.append(Decision(proposal.id, proposal.title, proposal.status,
                              len(proposal.eligible), voted, hours))  # fmt: skip
    return found


def delegation(delegations: Mapping[tuple[str, str], str]) -> Delegation:
    """The delegations standing now (member and kind → delegate)."""
    return Delegation(
        len(delegations), len({member for member, _ in delegations}), len(set(delegations.values()))
    )


def _median_hours(spans: list[int]) -> float | None:
    return statistics.median(spans) / HOUR_MS if spans else None
