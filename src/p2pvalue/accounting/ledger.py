"""The ledger: claims, their reviews and endorsements, income and payout runs, folded from a
space's log.

`fold` is a pure function of the space's accepted value events in the space's order. Rules
that depend on the ledger (a review of one's own claim, a review after the claim closed,
evidence claimed twice, a payout beyond the balance of its pot) are judged by `check`: the
node refuses such a local action outright (nothing stored), and an event that arrives from
elsewhere and breaks one is kept in the log but has no effect on the ledger (`Ledger.void`),
so every node still derives the same ledger from the same events.

Money is kept in pots, one per (currency, earmark): income recorded with an earmark (a
project) can only be paid out by a run naming that earmark, and a run without one pays out
of the money given without one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from p2pvalue.accounting import bounties
from p2pvalue.accounting.decisions import apply_decision, check_decision, ledger_action
from p2pvalue.accounting.equation import (
    ContributionFacts,
    EquationHistory,
    ValuedContribution,
    ValueEquation,
    charter_equation,
)
from p2pvalue.accounting.model import (
    REVIEW_KIND,
    Claim,
    Endorsement,
    Income,
    Ledger,
    PayoutRecord,
    Review,
    ValueEvent,
)
from p2pvalue.accounting.payout_plan import allocations, plan
from p2pvalue.accounting.reputation import ContributionNode, ReputationInput
from p2pvalue.accounting.types import FULL_SHARE, ByProposal, SecondRound, value_policy
from p2pvalue.errors import EventError, P2PError
from p2pvalue.events.authority import CharterChange, timekeepers

IMPORT_REVIEW = "contribution.import_review"
VALUE_TYPES = frozenset(
    {"contribution.claim", "contribution.import", "contribution.review", "contribution.close",
     "contribution.endorse", "income.record", "payout.run", "bounty.pay", "alias.claim",
     "alias.confirm", IMPORT_REVIEW}
)  # fmt: skip
# A proposal's close: read by the ledger for approved spends and settled disputes.
DECISION = "proposal.close"
TICK = "clock.tick"  # a timekeeper's word on when it first held claims (their window starts)
LEDGER_TYPES = VALUE_TYPES | {DECISION, TICK}
HOUR_MS = 3_600_000
OPEN = ("pending", "disputed")
ALIAS = "email-sha256:"  # a contributor named by alias has not been claimed by a member
BOUNTY = "BOUNTY"  # the policy column of a bounty paid out (its own, not the charter's)


def fold(events: Iterable[ValueEvent]) -> Ledger:
    """The ledger of a space from its accepted value events, in the space's order."""
    ledger = Ledger()
    for event in events:
        apply_event(ledger, event)
    return ledger


def apply_event(ledger: Ledger, event: ValueEvent) -> None:
    """Fold one more event into `ledger`: its effect if `check` allows it, else it is void."""
    reason = check(ledger, event)
    if reason is None:
        _EFFECTS[event.type](ledger, event)
    else:
        ledger.void[event.id] = reason


def check(ledger: Ledger, event: ValueEvent) -> str | None:
    """None if `event` may take effect on `ledger`, else the reason it may not."""
    if event.type == TICK or (event.type == DECISION and ledger_action(event) is None):
        return None
    if value_policy(event.authority.charter) is None:
        return "value_not_enabled"
    return _CHECKS[event.type](ledger, event)


def _check_claim(ledger: Ledger, event: ValueEvent) -> str | None:
    policy = value_policy(event.authority.charter)
    content = event.content
    if policy is None or content["kind"] not in policy.kinds:
        return "unknown_kind"
    if _claimed_before(ledger, content.get("evidence", ())):
        return "evidence_already_claimed"
    shares = _shares(event)
    if event.author not in shares:
        return "claimant_not_a_contributor"
    if not all(event.authority.is_member(member) for member in shares):
        return "co_contributor_not_a_member"
    try:
        facts = _facts(event)
        if facts.ts > event.ts:
            return "work_dated_after_claim"  # recency would favour work not yet done
        _equation(event, facts.ts).valued(facts)
    except EventError as refusal:
        return refusal.code
    return None


_HISTORIES: dict[int, tuple[tuple[CharterChange, ...], EquationHistory]] = {}


def _equation(event: ValueEvent, at: int | None = None) -> ValueEquation:
    """The equation in force at `at` (default: the event's time) among every equation the
    space's charter has had up to `event`: a change applies from its effective date."""
    history = event.authority.history or (CharterChange("-", 0, event.authority.charter),)
    cached = _HISTORIES.get(id(history))
    if cached is None or cached[0] is not history:
        if len(_HISTORIES) > 256:
            _HISTORIES.clear()
        cached = _HISTORIES[id(history)] = (history, _equations(history))
    return cached[1].equation_at(event.ts if at is None else at)


def _equations(history: tuple[CharterChange, ...]) -> EquationHistory:
    """The distinct equations of a charter history; of charters sharing a version (a kind
    added to the default equation), the latest defines it."""
    by_version: dict[int, ValueEquation] = {}
    for change in history:
        policy = value_policy(change.charter)
        if policy is not None:
            equation = charter_equation(policy.kinds, policy.equation)
            by_version[equation.version] = equation
    return EquationHistory(tuple(by_version.values()))


def _facts(event: ValueEvent) -> ContributionFacts:
    content = event.content
    period = content.get("period")
    when = content.get("date") or (period["end"] if period else event.ts)
    return ContributionFacts(kind=content["kind"], quantity=content["quantity"],
                             unit=content["unit"], currency=content.get("currency"),
                             paid=content.get("paid", False), ts=when,
                             measures=_measures(content))  # fmt: skip


def _measures(content: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((content.get("measures") or {}).items()))


def _check_import(ledger: Ledger, event: ValueEvent) -> str | None:
    """An import is judged like a claim, except that its signer is the importer (a role the
    charter allows `contribution.import`), not one of the people it credits."""
    policy = value_policy(event.authority.charter)
    content = event.content
    if policy is None or content["kind"] not in policy.kinds:
        return "unknown_kind"
    if _claimed_before(ledger, content["evidence"]):
        return "evidence_already_claimed"
    members = [s["member"] for s in content["contributors"] if not s["member"].startswith(ALIAS)]
    if not all(event.authority.is_member(member) for member in members):
        return "co_contributor_not_a_member"
    try:
        facts = _facts(event)
        if facts.ts > event.ts:
            return "work_dated_after_claim"
        _equation(event, facts.ts).valued(facts)
    except EventError as refusal:
        return refusal.code
    return None


def _claimed_before(ledger: Ledger, evidence: Iterable[str]) -> bool:
    for item in evidence:
        earlier = ledger.evidence.get(item)
        if earlier is not None and ledger.claims[earlier].status != "rejected":
            return True
    return False


def _apply_import(ledger: Ledger, event: ValueEvent) -> None:
    """Record imported work for the people it credits: an alias a member already holds
    counts as the member; any other stays unclaimed until someone claims it. Accepted at
    once when the charter accepts imports (the work passed review where it was merged)."""
    _apply_claim(ledger, event)
    claim = ledger.claims[event.id]
    claim.source = event.content["source"]
    claim.names = {c["member"]: c["name"] for c in event.content["contributors"] if c.get("name")}
    policy = value_policy(event.authority.charter)
    if policy is not None and policy.imports is not None and policy.imports.accept:
        claim.status, claim.decided_by = "accepted", event.id
    for alias in [c for c in claim.shares if c.startswith(ALIAS)]:
        member = ledger.aliases.get(alias)
        if member is None:
            ledger.unclaimed.setdefault(alias, set()).add(claim.id)
        else:
            _credit(claim, alias, member)


def _credit(claim: Claim, alias: str, member: str) -> None:
    """Move an alias's share of `claim`, and its imported review of it, to the member who
    holds the alias."""
    # New dicts: a claim's containers are shared with copies kept for undoing (see `undo`).
    if alias in claim.shares:
        shares = dict(claim.shares)
        share = shares.pop(alias)
        claim.shares = {**shares, member: shares.get(member, 0) + share}
    review = claim.reviews.get(alias)
    if review is not None:
        reviews = {who: r for who, r in claim.reviews.items() if who != alias}
        reviews.setdefault(member, replace(review, reviewer=member))
        claim.reviews = reviews


def _check_review(ledger: Ledger, event: ValueEvent) -> str | None:
    claim = ledger.claims.get(event.content["claim"])
    if claim is None:
        return "unknown_claim"
    if event.author in claim.shares:
        return "own_claim"
    if claim.status not in OPEN:
        return "claim_closed"
    return None


def _check_import_review(ledger: Ledger, event: ValueEvent) -> str | None:
    """An imported review is judged like a review, except that its signer is the importer
    and the reviewer is named in it; it reviews imported work only (what the source shows
    reviewed), once per review at the source, and may come after the claim was decided
    (a pull request accepted on import was reviewed before it was merged)."""
    content = event.content
    claim = ledger.claims.get(content["claim"])
    if claim is None:
        return "unknown_claim"
    if claim.source is None:
        return "claim_not_imported"
    if content["evidence"] in ledger.evidence:
        return "evidence_already_claimed"
    reviewer = ledger.aliases.get(content["reviewer"], content["reviewer"])
    if reviewer in claim.shares or content["reviewer"] in claim.shares:
        return "own_claim"
    if not reviewer.startswith(ALIAS) and not event.authority.is_member(reviewer):
        return "co_contributor_not_a_member"
    if content["date"] > event.ts:
        return "work_dated_after_claim"
    return None


def _apply_import_review(ledger: Ledger, event: ValueEvent) -> None:
    """Record the review as the reviewer's (the member holding its alias, if any) and judge
    the claim again by the acceptance rule while it is open and not in a disputes rule's
    hands. A comment leaves a verdict the reviewer gave before standing, as forges do."""
    content = event.content
    claim = ledger.claims[content["claim"]]
    ledger.evidence[content["evidence"]] = claim.id
    reviewer = ledger.aliases.get(content["reviewer"], content["reviewer"])
    if reviewer.startswith(ALIAS):
        ledger.unclaimed.setdefault(reviewer, set()).add(claim.id)
        if content.get("name"):
            claim.names = {**claim.names, reviewer: content["name"]}
    earlier = claim.reviews.get(reviewer)
    if content["verdict"] == "comment" and earlier is not None and earlier.verdict != "comment":
        return
    policy = value_policy(event.authority.charter)
    assert policy is not None
    role = policy.acceptance.role
    claim.reviews[reviewer] = Review(
        reviewer, content["verdict"], "", event.id, content["date"],
        role is None or role in event.authority.roles_of(reviewer),
        _review_value(event, policy.kinds),
    )  # fmt: skip
    if claim.status in OPEN and claim.dispute is None:
        claim.status = _first_round(claim, policy.acceptance.approvals)
        if claim.status in ("accepted", "rejected"):
            claim.decided_by = event.id


def _check_close(ledger: Ledger, event: ValueEvent) -> str | None:
    claim = ledger.claims.get(event.content["claim"])
    policy = value_policy(event.authority.charter)
    if claim is None:
        return "unknown_claim"
    if policy is None or policy.acceptance.lazy_hours is None:
        return "lazy_acceptance_off"
    if claim.status == "disputed":
        return "claim_disputed"
    if claim.status != "pending":
        return "claim_closed"
    if (
        claim.witnessed is None
        or event.ts < claim.witnessed + policy.acceptance.lazy_hours * HOUR_MS
    ):
        return "window_open"
    if event.author not in timekeepers(event.authority):
        return "not_a_timekeeper"
    return None


def _apply_close(ledger: Ledger, event: ValueEvent) -> None:
    claim = ledger.claims[event.content["claim"]]
    claim.status, claim.decided_by = "accepted", event.id


def due_claims(ledger: Ledger, lazy_hours: int, now: int) -> list[Claim]:
    """Pending claims whose review window, from when a timekeeper first held them, passed
    with no dispute: ready to be closed."""
    return [
        claim for claim in ledger.claims.values()
        if claim.status == "pending" and claim.witnessed is not None
        and now >= claim.witnessed + lazy_hours * HOUR_MS
    ]  # fmt: skip


def unwitnessed_claims(ledger: Ledger) -> list[str]:
    """Pending claims no timekeeper has said it holds yet: their window has not started."""
    return [c.id for c in ledger.claims.values() if c.status == "pending" and c.witnessed is None]


def _apply_tick(ledger: Ledger, event: ValueEvent) -> None:
    for claim_id in event.content["events"]:
        claim = ledger.claims.get(claim_id)
        if claim is not None and claim.witnessed is None:
            claim.witnessed = event.ts


def _check_endorse(ledger: Ledger, event: ValueEvent) -> str | None:
    claim = ledger.claims.get(event.content["claim"])
    if claim is None:
        return "unknown_claim"
    if event.author in claim.shares:
        return "own_claim"
    if event.author in claim.endorsements:
        return "already_endorsed"
    if claim.status in ("disputed", "rejected"):
        return f"claim_{claim.status}"
    return None


def _apply_endorse(ledger: Ledger, event: ValueEvent) -> None:
    claim = ledger.claims[event.content["claim"]]
    note = event.content.get("note", "")
    claim.endorsements[event.author] = Endorsement(event.author, note, event.id, event.ts)


def _check_income(ledger: Ledger, event: ValueEvent) -> str | None:
    return None


def _check_payout(ledger: Ledger, event: ValueEvent) -> str | None:
    content = event.content
    policy = value_policy(event.authority.charter)
    assert policy is not None
    if content["policy"] != policy.payout_policy:
        return "policy_mismatch"
    try:
        expected = plan(ledger, content["policy"], content["currency"], content["budget"],
                        event.ts, _equation(event).half_life_days,
                        earmark=content.get("earmark"))  # fmt: skip
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
    """The alias is the member's from now on, and so is its history: the imported work that
    credited it, and what payouts held for it."""
    alias, member = event.content["alias"], event.content["member"]
    ledger.aliases[alias] = member
    for claim_id in sorted(ledger.unclaimed.pop(alias, set())):
        _credit(ledger.claims[claim_id], alias, member)
    for paid in (*ledger.paid.values(), *ledger.paid_from.values()):
        if alias in paid:  # what payouts held for the alias is the member's now
            paid[member] = paid.get(member, 0) + paid.pop(alias)


def _shares(event: ValueEvent) -> dict[str, int]:
    listed = event.content.get("contributors") or []
    if not listed:
        return {event.author: FULL_SHARE}
    return {share["member"]: share["share"] for share in listed}


def _apply_claim(ledger: Ledger, event: ValueEvent) -> None:
    content = event.content
    facts = _facts(event)
    when = facts.ts
    claim = Claim(
        id=event.id, author=event.author, kind=content["kind"],
        description=content["description"], quantity=content["quantity"],
        unit=content["unit"], currency=content.get("currency"), paid=content.get("paid", False),
        ts=event.ts, when=when, evidence=tuple(content.get("evidence", ())),
        project=content.get("project"), shares=_shares(event), measures=_measures(content),
        valued=_equation(event, when).valued(facts),
        bounty=(content["bounty"]["amount"], content["bounty"]["currency"])
        if content.get("bounty") else None,
    )  # fmt: skip
    ledger.claims[event.id] = claim
    for item in claim.evidence:
        ledger.evidence[item] = event.id


def _apply_review(ledger: Ledger, event: ValueEvent) -> None:
    claim = ledger.claims[event.content["claim"]]
    policy = value_policy(event.authority.charter)
    assert policy is not None
    roles = event.authority.roles_of(event.author)
    role, rule = policy.acceptance.role, policy.disputes
    claim.reviews[event.author] = Review(
        event.author, event.content["verdict"], event.content.get("reason", ""), event.id,
        event.ts, role is None or role in roles, _review_value(event, policy.kinds),
        claim.dispute is not None and isinstance(rule, SecondRound) and rule.role in roles,
    )  # fmt: skip
    if rule is None or claim.dispute is None:
        claim.status = _first_round(claim, policy.acceptance.approvals)
        if rule is not None and claim.status == "disputed":
            claim.dispute = event.id
    else:
        claim.status = _second_round(claim, rule)
    if claim.status in ("accepted", "rejected"):
        claim.decided_by = event.id


def _first_round(claim: Claim, needed: int) -> str:
    """The status by the acceptance rule: one standing dispute holds the claim, and so,
    without disputing it, does one standing request for changes (an imported review)."""
    standing = [review.verdict for review in claim.reviews.values() if review.counts]
    if "dispute" in standing:
        return "disputed"
    if standing.count("reject") >= needed:
        return "rejected"
    if "request_changes" in standing:
        return "pending"
    return "accepted" if standing.count("approve") >= needed else "pending"


def _second_round(claim: Claim, rule: SecondRound | ByProposal) -> str:
    """The status of a claim the disputes rule has taken over: only verdicts given after the
    dispute by holders of the rule's role count, and one rejection among them rejects."""
    if isinstance(rule, ByProposal):
        return "disputed"
    verdicts = [review.verdict for review in claim.reviews.values() if review.second_round]
    if "reject" in verdicts:
        return "rejected"
    return "accepted" if verdicts.count("approve") >= rule.approvals else "disputed"


def _review_value(event: ValueEvent, kinds: list[str]) -> ValuedContribution | None:
    """A review is itself work: one unit of the `review` kind, if the charter lists it."""
    if REVIEW_KIND not in kinds:
        return None
    equation = _equation(event)
    cached = _REVIEW_VALUES.get(id(equation))
    if cached is not None and cached[0] is equation:
        return cached[1]
    unit = equation.kinds[REVIEW_KIND].unit
    found = None
    if unit != "money":  # the same for every review under one equation (no time in it)
        facts = ContributionFacts(kind=REVIEW_KIND, quantity=1, unit=unit, ts=event.ts)
        found = equation.valued(facts)
    if len(_REVIEW_VALUES) > 256:
        _REVIEW_VALUES.clear()
    _REVIEW_VALUES[id(equation)] = (equation, found)
    return found


# A review's value under each equation lately used (keyed by its id, kept with it so that
# the id of one since collected never answers for another).
_REVIEW_VALUES: dict[int, tuple[ValueEquation, ValuedContribution | None]] = {}


def _apply_income(ledger: Ledger, event: ValueEvent) -> None:
    content = event.content
    income = Income(
        event.id, content["amount"], content["currency"], content["source"],
        content.get("earmark") or None, event.ts, event.author,
    )  # fmt: skip
    ledger.income.append(income)
    ledger.received[income.currency] = ledger.received.get(income.currency, 0) + income.amount
    pot = (income.currency, income.earmark)
    ledger.pots[pot] = ledger.pots.get(pot, 0) + income.amount


def _check_bounty(ledger: Ledger, event: ValueEvent) -> str | None:
    content = event.content
    balance = ledger.balance(content["currency"], content.get("earmark"))
    return bounties.refusal(ledger.claims.get(content["claim"]), content, balance)


def _apply_bounty(ledger: Ledger, event: ValueEvent) -> None:
    content = event.content
    ledger.claims[content["claim"]].bounty_paid = event.id
    _pay(ledger, PayoutRecord(
        event.id, content["currency"], content["amount"], BOUNTY,
        dict(content["allocations"]), event.ts, content.get("earmark"),
    ))  # fmt: skip


def _apply_payout(ledger: Ledger, event: ValueEvent) -> None:
    content = event.content
    _pay(ledger, PayoutRecord(
        event.id, content["currency"], content["budget"], content["policy"],
        dict(content["allocations"]), event.ts, content.get("earmark"),
    ))  # fmt: skip


def _pay(ledger: Ledger, record: PayoutRecord) -> None:
    ledger.payouts.append(record)
    currency, pot = record.currency, (record.currency, record.earmark)
    ledger.paid_out[currency] = ledger.paid_out.get(currency, 0) + record.budget
    ledger.pots[pot] = ledger.pots.get(pot, 0) - record.budget
    for paid in (ledger.paid.setdefault(currency, {}), ledger.paid_from.setdefault(pot, {})):
        for member, amount in record.allocations.items():
            paid[member] = paid.get(member, 0) + amount


_CHECKS: dict[str, Callable[[Ledger, ValueEvent], str | None]] = {
    "contribution.claim": _check_claim,
    "contribution.import": _check_import,
    "contribution.review": _check_review,
    IMPORT_REVIEW: _check_import_review,
    "contribution.close": _check_close,
    "contribution.endorse": _check_endorse,
    "income.record": _check_income,
    "payout.run": _check_payout,
    "bounty.pay": _check_bounty,
    "alias.claim": _check_alias_claim,
    "alias.confirm": _check_alias_confirm,
    "proposal.close": check_decision,
    TICK: lambda ledger, event: None,
}
_EFFECTS: dict[str, Callable[[Ledger, ValueEvent], None]] = {
    "contribution.claim": _apply_claim,
    "contribution.import": _apply_import,
    "contribution.review": _apply_review,
    IMPORT_REVIEW: _apply_import_review,
    "contribution.close": _apply_close,
    "contribution.endorse": _apply_endorse,
    "income.record": _apply_income,
    "payout.run": _apply_payout,
    "bounty.pay": _apply_bounty,
    "alias.claim": _apply_alias_claim,
    "alias.confirm": _apply_alias_confirm,
    "proposal.close": apply_decision,
    TICK: _apply_tick,
}


def reputation_input(ledger: Ledger, members: Iterable[str]) -> ReputationInput:
    """The reputation graph's input: accepted claims minting their value, authored by their
    contributors, approved by their counted reviewers, endorsed by members (each endorsement
    weighing the same), grouped by project."""
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
                    if (r.counts or r.second_round) and r.verdict == "approve"
                )
            ),
            endorsements=tuple((endorser, 1) for endorser in sorted(claim.endorsements)),
        )
        for claim in ledger.accepted_claims()
        if claim.valued is not None
    ]
    return ReputationInput(contributors=sorted(set(members)), contributions=contributions)
