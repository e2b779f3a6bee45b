"""The ledger's records: claims with their reviews and endorsements, income, payout runs,
and the ledger that holds them. Pure data and sums; `ledger.fold` fills them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from p2pvalue.accounting.equation import ContributionFacts, ValuedContribution, ValueEquation
from p2pvalue.accounting.types import FULL_SHARE
from p2pvalue.events.authority import AuthorizedEvent

REVIEW_KIND = "review"


@dataclass(frozen=True)
class Spend:
    """Money the community decided to spend from the treasury (the un-earmarked income)."""

    id: str
    proposal: str
    amount: int
    currency: str
    to: str
    ts: int


ValueEvent = AuthorizedEvent  # an accepted value event with the authority of its causal past


@dataclass
class Review:
    reviewer: str
    verdict: str
    reason: str
    event: str
    ts: int
    counts: bool
    valued: ValuedContribution | None = None
    second_round: bool = False  # given after a dispute by a holder of the disputes rule's role


@dataclass(frozen=True)
class Endorsement:
    endorser: str
    note: str
    event: str
    ts: int


@dataclass
class Claim:
    id: str
    author: str
    kind: str
    description: str
    quantity: int
    unit: str
    currency: str | None
    paid: bool
    ts: int
    when: int
    evidence: tuple[str, ...]
    project: str | None
    shares: dict[str, int]
    reviews: dict[str, Review] = field(default_factory=dict)
    endorsements: dict[str, Endorsement] = field(default_factory=dict)
    status: str = "pending"
    decided_by: str | None = None
    dispute: str | None = None  # the review that sent it to the disputes rule, if any
    valued: ValuedContribution | None = None
    bounty: tuple[int, str] | None = None  # (amount, currency) promised for the work
    bounty_paid: str | None = None  # the `bounty.pay` that paid it
    witnessed: int | None = None  # when a timekeeper first held it: its window starts then
    measures: tuple[tuple[str, int], ...] = ()  # what imported work carried
    source: str | None = None  # where imported work comes from (`git`, …); None if claimed here
    names: Mapping[str, str] = field(default_factory=dict)  # an alias's name at the source

    @property
    def facts(self) -> ContributionFacts:
        return ContributionFacts(kind=self.kind, quantity=self.quantity, unit=self.unit,
                                 currency=self.currency, paid=self.paid, ts=self.when,
                                 measures=self.measures)  # fmt: skip

    def value_of(self, member: str, equation: ValueEquation | None = None) -> Fraction:
        """The member's part of this claim's value (nothing unless accepted); by `equation`
        instead of the one in force at the claim when one is given, for a what-if."""
        if self.status != "accepted" or self.valued is None:
            return Fraction(0)
        value = self.valued.value if equation is None else self.valued_by(equation)
        return value * self.shares.get(member, 0) / FULL_SHARE

    def valued_by(self, equation: ValueEquation) -> Fraction:
        """The whole claim's value by `equation` instead of the one in force at it."""
        return equation.valued(self.facts).value


@dataclass(frozen=True)
class Income:
    id: str
    amount: int
    currency: str
    source: str
    earmark: str | None
    ts: int
    recorded_by: str


@dataclass(frozen=True)
class PayoutRecord:
    id: str
    currency: str
    budget: int
    policy: str
    allocations: Mapping[str, int]
    ts: int
    earmark: str | None = None


Pot = tuple[str, str | None]  # (currency, earmark): money that is paid out together


@dataclass
class Ledger:
    claims: dict[str, Claim] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    income: list[Income] = field(default_factory=list)
    payouts: list[PayoutRecord] = field(default_factory=list)
    received: dict[str, int] = field(default_factory=dict)
    paid_out: dict[str, int] = field(default_factory=dict)
    paid: dict[str, dict[str, int]] = field(default_factory=dict)
    void: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    alias_claims: dict[str, set[str]] = field(default_factory=dict)
    pots: dict[Pot, int] = field(default_factory=dict)
    paid_from: dict[Pot, dict[str, int]] = field(default_factory=dict)
    spends: list[Spend] = field(default_factory=list)
    # Imported claims crediting each alias that no member has claimed yet.
    unclaimed: dict[str, set[str]] = field(default_factory=dict)

    def held(self, currency: str) -> dict[str, int]:
        """What payouts in `currency` allotted to unclaimed contributors (by alias): held for
        them until a member claims the alias, and then theirs."""
        paid = self.paid.get(currency, {})
        return {alias: paid[alias] for alias in sorted(self.unclaimed) if paid.get(alias)}

    def labels(self) -> dict[str, str]:
        """What to call each unclaimed contributor: the name the latest import crediting
        them gave, else "someone" and the end of their alias (the log never holds the
        address, so no page can show it)."""
        named: dict[str, str] = {}
        for alias in self.unclaimed:
            named[alias] = f"someone ({alias[-6:]})"
        for claim in self.claims.values():
            for alias, name in claim.names.items():
                if alias in self.unclaimed:
                    named[alias] = name
        return named

    def balance(self, currency: str, earmark: str | None = None) -> int:
        """What is left to pay out in `currency` of the income earmarked `earmark` (None:
        of the income recorded without an earmark)."""
        return self.pots.get((currency, earmark), 0)

    def accepted_claims(self, project: str | None = None) -> list[Claim]:
        """Accepted claims, only those of `project` when one is named."""
        return [
            claim for claim in self.claims.values()
            if claim.status == "accepted" and (project is None or claim.project == project)
        ]  # fmt: skip

    def member_values(
        self, equation: ValueEquation | None = None, project: str | None = None
    ) -> dict[str, Fraction]:
        """Each member's part of the accepted value, by the equation in force at each claim
        (or by `equation`, to see what a proposed equation would change), plus the value of
        their counted reviews of claims that were decided; only `project`'s claims and their
        reviews when one is named.

        Numerators are summed as integers per denominator and the few distinct denominators
        added as Fractions at the end: the same exact values as adding one Fraction per
        share (a gcd each), about ten times faster on a space of 18,000 accepted claims."""
        sums: _Sums = {}
        for claim in self.accepted_claims(project):
            if claim.valued is None:
                value = Fraction(0)
            else:
                value = claim.valued.value if equation is None else claim.valued_by(equation)
            for member, share in claim.shares.items():
                _add(sums, member, value, share)
        for review in self.decided_reviews(project):
            assert review.valued is not None
            value = review.valued.value if equation is None else revalue(review, equation)
            _add(sums, review.reviewer, value, FULL_SHARE)
        return {
            member: sum((Fraction(total, den * FULL_SHARE) for den, total in parts.items()),
                        Fraction(0))
            for member, parts in sums.items()
        }  # fmt: skip

    def decided_reviews(self, project: str | None = None) -> list[Review]:
        """Counted reviews (with a value) of claims that were accepted or rejected: by the
        acceptance rule's role, or in a second round after a dispute; only reviews of
        `project`'s claims when one is named."""
        return [
            review
            for claim in self.claims.values()
            if claim.status in ("accepted", "rejected")
            and (project is None or claim.project == project)
            for review in claim.reviews.values()
            if (review.counts or review.second_round) and review.valued is not None
        ]


def revalue(review: Review, equation: ValueEquation) -> Fraction:
    rule = equation.kinds.get(REVIEW_KIND)
    if rule is None or rule.unit == "money":
        return Fraction(0)
    facts = ContributionFacts(kind=REVIEW_KIND, quantity=1, unit=rule.unit, ts=review.ts)
    return equation.valued(facts).value


# Per member, per denominator of a value: the sum of numerator times share.
_Sums = dict[str, dict[int, int]]


def _add(sums: _Sums, member: str, value: Fraction, share: int) -> None:
    parts = sums.setdefault(member, {})
    parts[value.denominator] = parts.get(value.denominator, 0) + value.numerator * share
