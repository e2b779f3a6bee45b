"""The ledger: claims and their reviews, income and payout runs, folded from a space's log.

`fold` is a pure function of the space's accepted value events in the space's order. Rules
that depend on the ledger (a review of one's own claim, a review after the claim closed,
evidence claimed twice, a payout beyond the balance) are judged by `check`: the node refuses
such a local action outright (nothing stored), and an event that arrives from elsewhere and
breaks one is kept in the log but has no effect on the ledger (`Ledger.void`), so every node
still derives the same ledger from the same events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from p2pvalue.accounting.equation import (
    ContributionFacts,
    ValuedContribution,
    ValueEquation,
    charter_equation,
)
from p2pvalue.accounting.reputation import ContributionNode, ReputationInput
from p2pvalue.errors import EventError, P2PError
from p2pvalue.events.authority import Authority
from p2pvalue.events.value_types import FULL_SHARE, ValuePolicy

VALUE_TYPES = frozenset(
    {"contribution.claim", "contribution.review", "contribution.close", "income.record",
     "payout.run", "alias.claim", "alias.confirm"}
)  # fmt: skip
HOUR_MS = 3_600_000
OPEN = ("pending", "disputed")
REVIEW_KIND = "review"
VALUE_REFUSALS = {
    "value_not_enabled": "this space's charter has no value policy",
    "unknown_kind": "the charter does not list this kind of contribution",
    "evidence_already_claimed": "this evidence belongs to another claim",
    "claimant_not_a_contributor": "the claimant must be one of the contributors",
    "co_contributor_not_a_member": "every co-contributor must be a member",
    "unknown_claim": "no such claim in this space",
    "own_claim": "nobody reviews a claim they share in",
    "claim_closed": "the claim was already accepted or rejected",
    "insufficient_balance": "the payout is larger than the balance in that currency",
    "alias_taken": "this alias already belongs to a member",
    "lazy_acceptance_off": "the charter accepts claims only by approval",
    "claim_disputed": "a disputed claim is not accepted by waiting",
    "window_open": "the claim's review window has not passed yet",
    "policy_mismatch": "a payout runs by the charter's payout policy",
    "allocation_mismatch": "the allocations differ from what the policy gives",
    "nothing_to_split": "no member has value to split the budget by",
    "alias_not_claimed": "the member has not claimed this alias",
}


@dataclass(frozen=True)
class ValueEvent:
    """An accepted value event with the authority of its causal past."""

    id: str
    type: str
    author: str
    ts: int
    content: Mapping[str, Any]
    authority: Authority


@dataclass
class Review:
    reviewer: str
    verdict: str
    reason: str
    event: str
    ts: int
    counts: bool
    valued: ValuedContribution | None = None


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
    status: str = "pending"
    decided_by: str | None = None
    valued: ValuedContribution | None = None

    @property
    def facts(self) -> ContributionFacts:
        return ContributionFacts(kind=self.kind, quantity=self.quantity, unit=self.unit,
                                 currency=self.currency, paid=self.paid, ts=self.when)  # fmt: skip

    def value_of(self, member: str, equation: ValueEquation | None = None) -> Fraction:
        """The member's part of this claim's value (nothing unless accepted); by `equation`
        instead of the one in force at the claim when one is given, for a what-if."""
        if self.status != "accepted" or self.valued is None:
            return Fraction(0)
        value = self.valued.value if equation is None else equation.valued(self.facts).value
        return value * self.shares.get(member, 0) / FULL_SHARE


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

    def balance(self, currency: str) -> int:
        return self.received.get(currency, 0) - self.paid_out.get(currency, 0)

    def accepted_claims(self) -> list[Claim]:
        return [claim for claim in self.claims.values() if claim.status == "accepted"]

    def member_values(self, equation: ValueEquation | None = None) -> dict[str, Fraction]:
        """Each member's part of the accepted value, by the equation in force at each claim
        (or by `equation`, to see what a proposed equation would change), plus the value of
        their counted reviews of claims that were decided."""
        totals: dict[str, Fraction] = {}
        for claim in self.accepted_claims():
            for member in claim.shares:
                part = claim.value_of(member, equation)
                totals[member] = totals.get(member, Fraction(0)) + part
        for review in self.decided_reviews():
            assert review.valued is not None
            value = review.valued.value if equation is None else _revalue(review, equation)
            totals[review.reviewer] = totals.get(review.reviewer, Fraction(0)) + value
        return totals

    def decided_reviews(self) -> list[Review]:
        """Counted reviews (with a value) of claims that were accepted or rejected."""
        return [
            review
            for claim in self.claims.values()
            if claim.status in ("accepted", "rejected")
            for review in claim.reviews.values()
            if review.counts and review.valued is not None
        ]


def fold(events: Iterable[ValueEvent]) -> Ledger:
    """The ledger of a space from its accepted value events, in the space's order."""
    ledger = Ledger()
    for event in events:
        reason = check(ledger, event)
        if reason is None:
            _EFFECTS[event.type](ledger, event)
        else:
            ledger.void[event.id] = reason
    return ledger


def check(ledger: Ledger, event: ValueEvent) -> str | None:
    """None if `event` may take effect on `ledger`, else the reason it may not."""
    if event.authority.charter.value is None:
        return "value_not_enabled"
    return _CHECKS[event.type](ledger, event)


def _check_claim(ledger: Ledger, event: ValueEvent) -> str | None:
    policy = event.authority.charter.value
    content = event.content
    if policy is None or content["kind"] not in policy.kinds:
        return "unknown_kind"
    for item in content.get("evidence", ()):
        earlier = ledger.evidence.get(item)
        if earlier is not None and ledger.claims[earlier].status != "rejected":
            return "evidence_already_claimed"
    shares = _shares(event)
    if event.author not in shares:
        return "claimant_not_a_contributor"
    if not all(event.authority.is_member(member) for member in shares):
        return "co_contributor_not_a_member"
    try:
        _equation(event).valued(_facts(event))
    except EventError as refusal:
        return refusal.code
    return None


def _revalue(review: Review, equation: ValueEquation) -> Fraction:
    rule = equation.kinds.get(REVIEW_KIND)
    if rule is None or rule.unit == "money":
        return Fraction(0)
    facts = ContributionFacts(kind=REVIEW_KIND, quantity=1, unit=rule.unit, ts=review.ts)
    return equation.valued(facts).value


_EQUATIONS: dict[int, tuple[ValuePolicy, ValueEquation]] = {}


def _equation(event: ValueEvent) -> ValueEquation:
    """The equation of the charter in force for `event`, parsed once per charter."""
    policy = event.authority.charter.value
    assert policy is not None
    cached = _EQUATIONS.get(id(policy))
    if cached is None or cached[0] is not policy:
        if len(_EQUATIONS) > 256:
            _EQUATIONS.clear()
        cached = _EQUATIONS[id(policy)] = (policy, charter_equation(policy.kinds, policy.equation))
    return cached[1]


def _facts(event: ValueEvent) -> ContributionFacts:
    content = event.content
    period = content.get("period")
    when = content.get("date") or (period["end"] if period else event.ts)
    return ContributionFacts(kind=content["kind"], quantity=content["quantity"],
                             unit=content["unit"], currency=content.get("currency"),
                             paid=content.get("paid", False), ts=when)  # fmt: skip


def _check_review(ledger: Ledger, event: ValueEvent) -> str | None:
    claim = ledger.claims.get(event.content["claim"])
    if claim is None:
        return "unknown_claim"
    if event.author in claim.shares:
        return "own_claim"
    if claim.status not in OPEN:
        return "claim_closed"
    return None


def _check_close(ledger: Ledger, event: ValueEvent) -> str | None:
    claim = ledger.claims.get(event.content["claim"])
    policy = event.authority.charter.value
    if claim is None:
        return "unknown_claim"
    if policy is None or policy.acceptance.lazy_hours is None:
        return "lazy_acceptance_off"
    if claim.status == "disputed":
        return "claim_disputed"
    if claim.status != "pending":
        return "claim_closed"
    if event.ts < claim.ts + policy.acceptance.lazy_hours * HOUR_MS:
        return "window_open"
    return None


def _apply_close(ledger: Ledger, event: ValueEvent) -> None:
    claim = ledger.claims[event.content["claim"]]
    claim.status, claim.decided_by = "accepted", event.id


def due_claims(ledger: Ledger, lazy_hours: int, now: int) -> list[Claim]:
    """Pending claims whose review window passed with no dispute: ready to be closed."""
    return [
        claim for claim in ledger.claims.values()
        if claim.status == "pending" and now >= claim.ts + lazy_hours * HOUR_MS
    ]  # fmt: skip


def _check_income(ledger: Ledger, event: ValueEvent) -> str | None:
    return None


def _check_payout(ledger: Ledger, event: ValueEvent) -> str | None:
    from p2pvalue.accounting.payout_plan import allocations, plan

    content = event.content
    policy = event.authority.charter.value
    assert policy is not None
    if content["policy"] != policy.payout_policy:
        return "policy_mismatch"
    try:
        expected = plan(ledger, content["policy"], content["currency"], content["budget"],
                        event.ts, _equation(event).half_life_days)  # fmt: skip
    except P2PError as refusal:
        return refusal.code
    return None if allocations(expected) == content["allocations"] else "allocation_mismatch"


def _check_alias_claim(ledger: Ledger, event: ValueEvent) -> str | None:
    owner = ledger.aliases.get(event.content["alias"])
    return "alias_taken" if owner is not None else None


def _check_alias_confirm(ledger: Ledger, event: ValueEvent) -> str | None:
    alias, member = event.content["alias"], event.content["member"]
    if alias in ledger.aliases:
        return "alias_taken"
    return None if member in ledger.alias_claims.get(alias, set()) else "alias_not_claimed"


def _apply_alias_claim(ledger: Ledger, event: ValueEvent) -> None:
    ledger.alias_claims.setdefault(event.content["alias"], set()).add(event.author)


def _apply_alias_confirm(ledger: Ledger, event: ValueEvent) -> None:
    ledger.aliases[event.content["alias"]] = event.content["member"]


def _shares(event: ValueEvent) -> dict[str, int]:
    listed = event.content.get("contributors") or []
    if not listed:
        return {event.author: FULL_SHARE}
    return {share["member"]: share["share"] for share in listed}


def _apply_claim(ledger: Ledger, event: ValueEvent) -> None:
    content = event.content
    when = _facts(event).ts
    claim = Claim(
        id=event.id, author=event.author, kind=content["kind"],
        description=content["description"], quantity=content["quantity"],
        unit=content["unit"], currency=content.get("currency"), paid=content.get("paid", False),
        ts=event.ts, when=when, evidence=tuple(content.get("evidence", ())),
        project=content.get("project"), shares=_shares(event),
        valued=_equation(event).valued(_facts(event)),
    )  # fmt: skip
    ledger.claims[event.id] = claim
    for item in claim.evidence:
        ledger.evidence[item] = event.id


def _apply_review(ledger: Ledger, event: ValueEvent) -> None:
    claim = ledger.claims[event.content["claim"]]
    policy = event.authority.charter.value
    assert policy is not None
    role = policy.acceptance.role
    counts = role is None or role in event.authority.roles_of(event.author)
    claim.reviews[event.author] = Review(
        event.author, event.content["verdict"], event.content.get("reason", ""), event.id,
        event.ts, counts, _review_value(event, policy.kinds),
    )  # fmt: skip
    standing = [review.verdict for review in claim.reviews.values() if review.counts]
    needed = policy.acceptance.approvals
    if "dispute" in standing:
        claim.status = "disputed"
    elif standing.count("reject") >= needed:
        claim.status, claim.decided_by = "rejected", event.id
    elif standing.count("approve") >= needed:
        claim.status, claim.decided_by = "accepted", event.id
    else:
        claim.status = "pending"


def _review_value(event: ValueEvent, kinds: list[str]) -> ValuedContribution | None:
    """A review is itself work: one unit of the `review` kind, if the charter lists it."""
    if REVIEW_KIND not in kinds:
        return None
    equation = _equation(event)
    unit = equation.kinds[REVIEW_KIND].unit
    if unit == "money":
        return None
    facts = ContributionFacts(kind=REVIEW_KIND, quantity=1, unit=unit, ts=event.ts)
    return equation.valued(facts)


def _apply_income(ledger: Ledger, event: ValueEvent) -> None:
    content = event.content
    income = Income(
        event.id, content["amount"], content["currency"], content["source"],
        content.get("earmark"), event.ts, event.author,
    )  # fmt: skip
    ledger.income.append(income)
    ledger.received[income.currency] = ledger.received.get(income.currency, 0) + income.amount


def _apply_payout(ledger: Ledger, event: ValueEvent) -> None:
    content = event.content
    record = PayoutRecord(
        event.id, content["currency"], content["budget"], content["policy"],
        dict(content["allocations"]), event.ts,
    )  # fmt: skip
    ledger.payouts.append(record)
    currency = record.currency
    ledger.paid_out[currency] = ledger.paid_out.get(currency, 0) + record.budget
    paid = ledger.paid.setdefault(currency, {})
    for member, amount in record.allocations.items():
        paid[member] = paid.get(member, 0) + amount


_CHECKS: dict[str, Callable[[Ledger, ValueEvent], str | None]] = {
    "contribution.claim": _check_claim,
    "contribution.review": _check_review,
    "contribution.close": _check_close,
    "income.record": _check_income,
    "payout.run": _check_payout,
    "alias.claim": _check_alias_claim,
    "alias.confirm": _check_alias_confirm,
}
_EFFECTS: dict[str, Callable[[Ledger, ValueEvent], None]] = {
    "contribution.claim": _apply_claim,
    "contribution.review": _apply_review,
    "contribution.close": _apply_close,
    "income.record": _apply_income,
    "payout.run": _apply_payout,
    "alias.claim": _apply_alias_claim,
    "alias.confirm": _apply_alias_confirm,
}


def reputation_input(ledger: Ledger, members: Iterable[str]) -> ReputationInput:
    """The reputation graph's input: accepted claims minting their value, authored by their
    contributors, approved by their counted reviewers, grouped by project."""
    contributions = [
        ContributionNode(
            id=claim.id,
            value=claim.valued.value,
            timestamp_ms=claim.when,
            authors=claim.shares,
            artefact=claim.project,
            reviewers=tuple(
                sorted(
                    r.reviewer
                    for r in claim.reviews.values()
                    if r.counts and r.verdict == "approve"
                )
            ),
        )
        for claim in ledger.accepted_claims()
        if claim.valued is not None
    ]
    return ReputationInput(contributors=sorted(set(members)), contributions=contributions)
