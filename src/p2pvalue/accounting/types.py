"""The shapes of the value events: contributions, reviews, endorsements, income and payouts.

Shapes and checks that need nothing but the event itself live here, so a malformed claim
is refused before anything is stored. What depends on the space's state (is the claim
still open, was this evidence claimed before) is judged by `accounting.ledger`.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from p2pvalue.errors import EventError
from p2pvalue.events.charter import Charter

DID_PATTERN = r"^did:key:z[1-9A-HJ-NP-Za-km-z]+$"
EVENT_ID_PATTERN = r"^[A-Za-z0-9_-]{43}$"
KIND_PATTERN = r"^[a-z][a-z0-9_]*$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
FULL_SHARE = 10_000  # shares are basis points: 10,000 is 100 %
DEFAULT_KINDS = (
    "code", "docs", "design", "review", "translation", "care", "operations", "time", "money",
    "resource", "commit",
)  # fmt: skip
ALIAS_PATTERN = r"^email-sha256:[A-Za-z0-9_-]{43}$"
# An imported contribution credits members, or people known only by an alias (their
# e-mail's hash) until one of them claims it: unclaimed contributors.
CONTRIBUTOR_PATTERN = r"^(did:key:z[1-9A-HJ-NP-Za-km-z]+|email-sha256:[A-Za-z0-9_-]{43})$"
# What an imported commit can carry for the equation's formula (see `importers.git`).
MEASURES = ("files", "added", "removed", "docs", "tests")
PAYOUT_POLICIES = ("IMMEDIATE", "RECENT", "BALANCED", "BUCKETS")


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Acceptance(_Content):
    """A claim is accepted with this many approvals, from holders of `role` if one is named;
    with `lazy_hours`, also once that long has passed with no dispute and a
    `contribution.close` event says so."""

    approvals: int = Field(ge=1, le=50)
    role: str | None = Field(default=None, max_length=40)
    lazy_hours: int | None = Field(default=None, ge=0, le=24 * 366)


class ContributionClose(_Content):
    claim: str = Field(pattern=EVENT_ID_PATTERN)


class SecondRound(_Content):
    """Once disputed, a claim is accepted by `approvals` approvals given after the dispute by
    holders of `role`, or rejected by one rejection from such a holder."""

    rule: Literal["second_round"]
    approvals: int = Field(ge=1, le=50)
    role: str = Field(max_length=40)


class ByProposal(_Content):
    """Once disputed, a claim stays disputed until a governance decision settles it."""

    rule: Literal["proposal"]


class ImportPolicy(_Content):
    """How imported history counts: `accept` accepts imported work at once (it passed
    review upstream), `bots` adds markers of automated authors to the defaults, `merges`
    counts merge commits as authored work (`true`) or as review work of who merged them
    (`"review"`), `author_share` gives the author of a commit with
    co-authors that many basis points (the rest split equally; all equal without it), and
    `paths` names the globs whose changed lines a commit carries as `docs` or `tests`."""

    accept: bool = False
    bots: list[str] = Field(default_factory=list, max_length=100)
    merges: bool | Literal["review"] = False
    author_share: int | None = Field(default=None, ge=1, le=10_000)
    paths: dict[Literal["docs", "tests"], list[str]] = Field(default_factory=dict)


class ValuePolicy(_Content):
    kinds: list[str] = Field(min_length=1, max_length=64)
    acceptance: Acceptance
    payout_policy: Literal["IMMEDIATE", "RECENT", "BALANCED", "BUCKETS"] = "BALANCED"
    equation: dict[str, object] | None = None
    disputes: SecondRound | ByProposal | None = Field(default=None, discriminator="rule")
    imports: ImportPolicy | None = None


def value_policy(charter: Charter) -> ValuePolicy | None:
    """A charter's value section: how contributions are accepted, valued and paid."""
    policy: ValuePolicy | None = charter.sections.get("value")
    return policy


class Share(_Content):
    member: str = Field(max_length=80, pattern=DID_PATTERN)
    share: int


class Period(_Content):
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class MoneyBounty(_Content):
    """An amount promised for a piece of work, in minor units of a currency."""

    amount: int = Field(ge=1, le=2**53 - 1)
    currency: str = Field(pattern=CURRENCY_PATTERN)


class ContributionClaim(_Content):
    kind: str = Field(max_length=40, pattern=KIND_PATTERN)
    description: str = Field(min_length=1, max_length=4000)
    quantity: int
    unit: Literal["hours", "units", "money"]
    currency: str | None = Field(default=None, pattern=CURRENCY_PATTERN)
    date: int | None = Field(default=None, ge=0)
    period: Period | None = None
    evidence: list[str] = Field(default_factory=list, max_length=50)
    project: str | None = Field(default=None, max_length=200)
    contributors: list[Share] = Field(default_factory=list, max_length=50)
    paid: bool = False
    # The money bounty of the task the claim credits: paid from the space's pot once the
    # claim is accepted (`bounty.pay`), so reviewers approve the work and its price together.
    bounty: MoneyBounty | None = None


class ImportedShare(_Content):
    """A contributor's share; `name` is the name the source gives an unclaimed contributor
    (a git author's mailmapped name), for pages to call them by: never their address."""

    member: str = Field(max_length=80, pattern=CONTRIBUTOR_PATTERN)
    share: int
    name: str | None = Field(default=None, min_length=1, max_length=100)


class ContributionImport(_Content):
    """Work done elsewhere (a commit, an answer, a review), recorded by an importer for the
    people who did it, members or not yet: `contributors` name members by did and the
    others by alias. `measures` are what the work carried, for the equation's formula."""

    kind: str = Field(max_length=40, pattern=KIND_PATTERN)
    description: str = Field(min_length=1, max_length=4000)
    quantity: int
    unit: Literal["hours", "units"]
    date: int = Field(ge=0)
    evidence: list[str] = Field(min_length=1, max_length=50)
    project: str | None = Field(default=None, max_length=200)
    contributors: list[ImportedShare] = Field(min_length=1, max_length=50)
    measures: dict[str, int] = Field(default_factory=dict, max_length=len(MEASURES))
    source: str = Field(min_length=1, max_length=40)


class ImportedReview(_Content):
    """A review done elsewhere (a pull request's review) of imported work, attested by an
    importer for the reviewer: a member's did, or an alias until someone claims it, with
    `name` the source's name for an alias. `approve` counts toward acceptance as a member's
    approval does, `request_changes` holds the claim until the same reviewer approves,
    `comment` is review work with no verdict. `evidence` is the review's own address, so
    it is imported once; `date` when it was given."""

    claim: str = Field(pattern=EVENT_ID_PATTERN)
    reviewer: str = Field(max_length=80, pattern=CONTRIBUTOR_PATTERN)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    verdict: Literal["approve", "request_changes", "comment"]
    date: int = Field(ge=0)
    evidence: str = Field(min_length=1, max_length=2000)
    source: str = Field(min_length=1, max_length=40)


class ContributionReview(_Content):
    claim: str = Field(pattern=EVENT_ID_PATTERN)
    verdict: Literal["approve", "dispute", "reject"]
    reason: str = Field(default="", max_length=2000)


class ContributionEndorse(_Content):
    """A member vouches for someone else's claim; it adds an edge to the reputation graph."""

    claim: str = Field(pattern=EVENT_ID_PATTERN)
    note: str = Field(default="", max_length=2000)


class IncomeRecord(_Content):
    amount: int
    currency: str = Field(pattern=CURRENCY_PATTERN)
    source: str = Field(min_length=1, max_length=200)
    earmark: str | None = Field(default=None, max_length=200)


class PayoutRun(_Content):
    currency: str = Field(pattern=CURRENCY_PATTERN)
    budget: int
    policy: Literal["IMMEDIATE", "RECENT", "BALANCED", "BUCKETS"]
    allocations: dict[str, int] = Field(max_length=100_000)
    earmark: str | None = Field(default=None, min_length=1, max_length=200)


class BountyPay(_Content):
    """An accepted claim's bounty paid out of the pot of its currency (and `earmark`: the
    claim's project, when its income is earmarked), split by the claim's shares."""

    claim: str = Field(pattern=EVENT_ID_PATTERN)
    currency: str = Field(pattern=CURRENCY_PATTERN)
    amount: int
    allocations: dict[str, int] = Field(max_length=50)
    earmark: str | None = Field(default=None, min_length=1, max_length=200)


class AliasClaim(_Content):
    """A member says an identity elsewhere (an e-mail, named only by its hash) is theirs."""

    alias: str = Field(pattern=ALIAS_PATTERN)


class AliasConfirm(_Content):
    """A member the charter trusts says `alias` is `member`'s; `proof` says how it knows:
    `email` when the member followed a link this node mailed to the address."""

    member: str = Field(max_length=80, pattern=DID_PATTERN)
    alias: str = Field(pattern=ALIAS_PATTERN)
    proof: Literal["email"] | None = None


def email_alias(email: str) -> str:
    """The alias of an e-mail address: its hash, so the log never holds the address."""
    digest = hashlib.sha256(email.strip().lower().encode()).digest()
    return "email-sha256:" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def check_claim(claim: ContributionClaim) -> None:
    """Refuse a claim whose own fields contradict each other."""
    if claim.quantity <= 0:
        raise EventError("quantity_not_positive", "quantity must be a positive integer")
    if (claim.unit == "money") != (claim.currency is not None):
        raise EventError("currency_mismatch", "money claims name a currency; others do not")
    if claim.date is not None and claim.period is not None:
        raise EventError("invalid_content", "give a date or a period, not both")
    if claim.period is not None and claim.period.start > claim.period.end:
        raise EventError("invalid_content", "period.start is after period.end")
    if len(set(claim.evidence)) != len(claim.evidence):
        raise EventError("duplicate_evidence", "the same evidence is listed twice")
    if claim.contributors:
        _check_shares([share.member for share in claim.contributors],
                      [share.share for share in claim.contributors])  # fmt: skip


def check_import(imported: ContributionImport) -> None:
    """Refuse an import whose own fields contradict each other."""
    if imported.quantity <= 0:
        raise EventError("quantity_not_positive", "quantity must be a positive integer")
    if len(set(imported.evidence)) != len(imported.evidence):
        raise EventError("duplicate_evidence", "the same evidence is listed twice")
    if any(name not in MEASURES or n < 0 for name, n in imported.measures.items()):
        raise EventError("invalid_content", f"measures are counts named among {MEASURES}")
    _check_shares([share.member for share in imported.contributors],
                  [share.share for share in imported.contributors])  # fmt: skip


def _check_shares(members: list[str], shares: list[int]) -> None:
    if len(set(members)) != len(members):
        raise EventError("invalid_content", "a co-contributor is listed twice")
    if any(share <= 0 for share in shares):
        raise EventError("shares_not_100_percent", "every share is a positive basis point")
    if sum(shares) != FULL_SHARE:
        raise EventError(
            "shares_not_100_percent", f"shares must sum to {FULL_SHARE} basis points (100 %)"
        )


def check_review(review: ContributionReview) -> None:
    if review.verdict != "approve" and not review.reason.strip():
        raise EventError("reason_required", f"a {review.verdict} needs a reason")


def check_amount(amount: int) -> None:
    if amount <= 0:
        raise EventError("amount_not_positive", "amounts are positive integers in minor units")


def check_income(income: IncomeRecord) -> None:
    check_amount(income.amount)


def check_bounty_pay(pay: BountyPay) -> None:
    check_amount(pay.amount)
    if any(amount < 0 for amount in pay.allocations.values()):
        raise EventError("negative_payout", "no allocation may be negative")
    if sum(pay.allocations.values()) != pay.amount:
        raise EventError("allocations_do_not_sum", "allocations must add up to the amount")


def check_payout(payout: PayoutRun) -> None:
    check_amount(payout.budget)
    if any(amount < 0 for amount in payout.allocations.values()):
        raise EventError("negative_payout", "no allocation may be negative")
    if sum(payout.allocations.values()) != payout.budget:
        raise EventError("allocations_do_not_sum", "allocations must add up to the budget")
