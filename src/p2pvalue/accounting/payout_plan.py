"""What a payout run pays each member, computed from the ledger alone.

The node computes a plan when a payout is made and signs its allocations into the
`payout.run` event; the ledger recomputes the plan from the same log when it folds the
event and voids the run if the two differ, so any node can check any payout.

A run pays out of one pot: with an `earmark` (a project), of the income earmarked for it,
split among that project's accepted claims (and the reviews of its claims); without one, of
the income recorded without an earmark, split among all accepted claims. Each pot is
balanced on its own: "paid so far" counts only what was paid out of the same pot, so money
given to a project goes to the project's contributors on top of what they get otherwise.

Inputs by policy (at the payout's time `at`), over the claims in scope:
- IMMEDIATE: each member's value from claims dated in the last 30 days;
- RECENT: each member's value decayed by its age (the equation's half-life, 90 days if
  it sets none);
- BALANCED: lifetime value, and what each member was paid so far out of the pot;
- BUCKETS: first each member's money claims in the currency not yet covered by what they
  were paid in it (out of any pot: an expense is reimbursed once), then lifetime value.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from p2pvalue.accounting.equation import half_power
from p2pvalue.accounting.model import Claim, Ledger
from p2pvalue.accounting.money import largest_remainder
from p2pvalue.accounting.payouts import Payout, PayoutInputs, check_budget, distribute
from p2pvalue.accounting.refusals import VALUE_REFUSALS
from p2pvalue.errors import P2PError

DAY_MS = 86_400_000
PERIOD_MS = 30 * DAY_MS
DEFAULT_HALF_LIFE_DAYS = 90


def plan(
    ledger: Ledger, policy: str, currency: str, budget: int, at: int,
    half_life_days: int | None = None, *, earmark: str | None = None,
) -> Payout:  # fmt: skip
    """The payout of `budget` minor units of `currency` at time `at` out of the pot of
    `earmark` (None: the income without an earmark), with explanations."""
    check_budget(budget, ledger.balance(currency, earmark))
    return distribute(policy, budget, inputs(ledger, currency, at, half_life_days, earmark))


def charter_plan(
    ledger: Ledger, value: Mapping[str, Any] | None, currency: str, budget: int, at: int,
    earmark: str | None = None,
) -> Payout:  # fmt: skip
    """`plan` by the payout policy and half-life of a charter's `value` section (as JSON)."""
    if value is None:
        raise P2PError("value_not_enabled", VALUE_REFUSALS["value_not_enabled"], 422)
    half_life = (value.get("equation") or {}).get("half_life_days")
    return plan(ledger, value["payout_policy"], currency, budget, at, half_life, earmark=earmark)


def inputs(
    ledger: Ledger, currency: str, at: int, half_life_days: int | None,
    earmark: str | None = None,
) -> PayoutInputs:  # fmt: skip
    half_life = (half_life_days or DEFAULT_HALF_LIFE_DAYS) * DAY_MS
    recent: dict[str, Fraction] = {}
    decayed: dict[str, Fraction] = {}
    claims = ledger.accepted_claims(earmark)
    for claim in claims:
        age = max(0, at - claim.when)
        factor = half_power(age, half_life)
        for member in claim.shares:
            value = claim.value_of(member)
            if age <= PERIOD_MS:
                recent[member] = recent.get(member, Fraction(0)) + value
            decayed[member] = decayed.get(member, Fraction(0)) + value * factor
    return PayoutInputs(
        value_last_period=recent, decayed_value=decayed,
        lifetime_value=ledger.member_values(project=earmark),
        paid_so_far=dict(ledger.paid_from.get((currency, earmark), {})),
        reimbursements=_outstanding(ledger, claims, currency),
    )  # fmt: skip


def _outstanding(ledger: Ledger, claims: list[Claim], currency: str) -> dict[str, int]:
    """Per member, what `claims` spent in `currency` and is not yet covered: never more than
    all their spending less all they were paid in it, so no expense is reimbursed twice."""
    spent, in_scope = _spent(ledger.accepted_claims(), currency), _spent(claims, currency)
    paid = ledger.paid.get(currency, {})
    owed = {m: min(in_scope[m], spent[m] - paid.get(m, 0)) for m in in_scope}
    return {member: amount for member, amount in owed.items() if amount > 0}


def _spent(claims: list[Claim], currency: str) -> dict[str, int]:
    spent: dict[str, int] = {}
    for claim in claims:
        if claim.unit == "money" and claim.currency == currency:
            for member, amount in largest_remainder(claim.quantity, claim.shares).items():
                spent[member] = spent.get(member, 0) + amount
    return spent


def allocations(payout: Payout) -> dict[str, int]:
    """The non-zero amounts of a payout, as a `payout.run` event carries them."""
    return {member: amount for member, amount in sorted(payout.amounts.items()) if amount}


def run_content(payout: Payout, currency: str, earmark: str | None = None) -> dict[str, Any]:
    """The content of the `payout.run` event that records `payout` (no earmark field when
    the run pays out of the income without one)."""
    content: dict[str, Any] = {
        "currency": currency, "budget": payout.budget, "policy": payout.policy,
        "allocations": allocations(payout),
    }  # fmt: skip
    return {**content, "earmark": earmark} if earmark is not None else content
