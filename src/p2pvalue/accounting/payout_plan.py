"""What a payout run pays each member, computed from the ledger alone.

The node computes a plan when a payout is made and signs its allocations into the
`payout.run` event; the ledger recomputes the plan from the same log when it folds the
event and voids the run if the two differ, so any node can check any payout.

Inputs by policy (at the payout's time `at`):
- IMMEDIATE: each member's value from claims dated in the last 30 days;
- RECENT: each member's value decayed by its age (the equation's half-life, 90 days if
  it sets none);
- BALANCED: lifetime value, and what each member was paid so far in the currency;
- BUCKETS: first each member's money claims in the currency not yet covered by what they
  were paid in it, then lifetime value.
"""

from __future__ import annotations

from fractions import Fraction

from p2pvalue.accounting.equation import half_power
from p2pvalue.accounting.ledger import Claim, Ledger
from p2pvalue.accounting.money import largest_remainder
from p2pvalue.accounting.payouts import Payout, PayoutInputs, check_budget, distribute

DAY_MS = 86_400_000
PERIOD_MS = 30 * DAY_MS
DEFAULT_HALF_LIFE_DAYS = 90


def plan(
    ledger: Ledger, policy: str, currency: str, budget: int, at: int,
    half_life_days: int | None = None,
) -> Payout:  # fmt: skip
    """The payout of `budget` minor units of `currency` at time `at`, with explanations."""
    check_budget(budget, ledger.balance(currency))
    return distribute(policy, budget, inputs(ledger, currency, at, half_life_days))


def inputs(ledger: Ledger, currency: str, at: int, half_life_days: int | None) -> PayoutInputs:
    half_life = (half_life_days or DEFAULT_HALF_LIFE_DAYS) * DAY_MS
    recent: dict[str, Fraction] = {}
    decayed: dict[str, Fraction] = {}
    for claim in ledger.accepted_claims():
        age = max(0, at - claim.when)
        factor = half_power(age, half_life)
        for member in claim.shares:
            value = claim.value_of(member)
            if age <= PERIOD_MS:
                recent[member] = recent.get(member, Fraction(0)) + value
            decayed[member] = decayed.get(member, Fraction(0)) + value * factor
    paid = ledger.paid.get(currency, {})
    return PayoutInputs(
        value_last_period=recent, decayed_value=decayed,
        lifetime_value=ledger.member_values(), paid_so_far=dict(paid),
        reimbursements=_outstanding(ledger.accepted_claims(), currency, paid),
    )  # fmt: skip


def _outstanding(claims: list[Claim], currency: str, paid: dict[str, int]) -> dict[str, int]:
    spent: dict[str, int] = {}
    for claim in claims:
        if claim.unit == "money" and claim.currency == currency:
            for member, amount in largest_remainder(claim.quantity, claim.shares).items():
                spent[member] = spent.get(member, 0) + amount
    return {m: amount - paid.get(m, 0) for m, amount in spent.items() if amount > paid.get(m, 0)}


def allocations(payout: Payout) -> dict[str, int]:
    """The non-zero amounts of a payout, as a `payout.run` event carries them."""
    return {member: amount for member, amount in sorted(payout.amounts.items()) if amount}
