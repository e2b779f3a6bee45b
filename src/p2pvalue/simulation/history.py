"""A community's history as the simulation reads it: who did accepted work when, worth how
much, and who reviewed. Taken from a space's ledger, or from commits (one unit each)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from p2pvalue.accounting.equation import ValueEquation
from p2pvalue.accounting.model import Ledger
from p2pvalue.accounting.types import FULL_SHARE

DAY_MS = 86_400_000
MONTH_MS = 30 * DAY_MS  # the simulation's month: thirty days, the payout policies' period


@dataclass(frozen=True, slots=True)
class Work:
    """A member's part of one piece of accepted work."""

    member: str
    ts: int
    value: float
    kind: str = ""


@dataclass(frozen=True)
class History:
    """Accepted work and counted reviews (reviewer, ts), each sorted by time; `rejected`
    is the share of decided claims that were rejected."""

    works: tuple[Work, ...]
    reviews: tuple[tuple[str, int], ...] = ()
    rejected: float = 0.0
    reviewed: bool = False  # whether claims went through review at all (not a commit log)

    @property
    def start(self) -> int:
        return min((w.ts for w in self.works), default=0)

    def before(self, ts: int) -> History:
        """The part of the history before `ts` (a forecast's calibration window)."""
        return History(
            tuple(w for w in self.works if w.ts < ts),
            tuple(r for r in self.reviews if r[1] < ts), self.rejected, self.reviewed,
        )  # fmt: skip


def from_ledger(ledger: Ledger, equation: ValueEquation | None = None) -> History:
    """A space's accepted claims, each member's share valued by the equation in force at it
    (or by `equation`), and the counted reviews of decided claims."""
    works = [
        Work(member, claim.when, float(value * share / FULL_SHARE), claim.kind)
        for claim in ledger.accepted_claims()
        if claim.valued is not None
        for value in (claim.valued.value if equation is None else claim.valued_by(equation),)
        for member, share in claim.shares.items()
    ]  # fmt: skip
    reviews = [(review.reviewer, review.ts) for review in ledger.decided_reviews()]
    decided = [c for c in ledger.claims.values() if c.status in ("accepted", "rejected")]
    rejected = sum(c.status == "rejected" for c in decided) / len(decided) if decided else 0.0
    reviewed = any(claim.reviews for claim in ledger.claims.values())
    return History(_by_time(works), tuple(sorted(reviews, key=lambda r: r[1])), rejected,
                   reviewed)  # fmt: skip


def from_commits(commits: Iterable[tuple[int, str]]) -> History:
    """A commit log, (ms, author): each commit one unit of accepted work, none reviewed."""
    return History(_by_time(Work(author, ts, 1.0, "commit") for ts, author in commits))


def _by_time(works: Iterable[Work]) -> tuple[Work, ...]:
    return tuple(sorted(works, key=lambda w: (w.ts, w.member)))
