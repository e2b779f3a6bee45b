"""Payout policies: how a budget is split among members, exactly, with the reason for each part.

IMMEDIATE, RECENT and BALANCED are SourceCred's grain policies; BUCKETS is the NRP-style
ordering that reimburses money and expenses first and splits the rest by value. Every
policy returns a `Payout` whose amounts are non-negative integers of minor units adding up
to exactly the budget, and which says for each member how their amount came about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from types import MappingProxyType

from p2pvalue.accounting.money import (
    K,
    Weight,
    check_amount,
    check_weight,
    integer_weights,
    largest_remainder,
)
from p2pvalue.errors import P2PError

# The per-period decay factor is a multiple of 1/DECAY_SCALE: exact, and the same everywhere.
DECAY_SCALE = 10**9


@dataclass(frozen=True)
class Portion:
    """What one bucket paid a member: `amount` of its `pot`, for `weight` of `total_weight`."""

    bucket: str
    weight: Fraction
    total_weight: Fraction
    pot: int
    amount: int


@dataclass(frozen=True)
class Balance:
    """A member's standing under BALANCED: the target they should have been paid by now."""

    share: Fraction
    target: Fraction
    paid_so_far: int
    underpayment: Fraction


@dataclass(frozen=True)
class Explanation:
    """Why a member got `amount`: the portions it is made of, and their BALANCED standing."""

    amount: int
    portions: tuple[Portion, ...]
    balance: Balance | None = None


@dataclass(frozen=True)
class Payout:
    """A budget split among every member named in the inputs (zeros included), in member order."""

    policy: str
    budget: int
    amounts: Mapping[str, int]
    explanations: Mapping[str, Explanation]


@dataclass(frozen=True)
class Bucket:
    """A pot that takes up to `cap` (all that is left when None) and splits it by `weights`."""

    name: str
    cap: int | None
    weights: Mapping[str, Weight]


@dataclass(frozen=True)
class PayoutInputs:
    """Everything any policy reads, member -> amount; each policy uses only its own fields.

    BALANCED reads lifetime_value and paid_so_far; BUCKETS reads reimbursements and then
    splits the rest by lifetime_value.
    """

    value_last_period: Mapping[str, Weight] = field(default_factory=dict)
    decayed_value: Mapping[str, Weight] = field(default_factory=dict)
    lifetime_value: Mapping[str, Weight] = field(default_factory=dict)
    paid_so_far: Mapping[str, int] = field(default_factory=dict)
    reimbursements: Mapping[str, int] = field(default_factory=dict)


def immediate(budget: int, value_last_period: Mapping[str, Weight]) -> Payout:
    """SourceCred IMMEDIATE: the budget split in proportion to value earned in the last period."""
    pots = [Bucket("value_last_period", None, value_last_period)]
    return ordered_buckets(budget, pots, policy="IMMEDIATE")


def recent(budget: int, decayed_value: Mapping[str, Weight]) -> Payout:
    """SourceCred RECENT: the budget split in proportion to decayed value (see `decay`)."""
    return ordered_buckets(budget, [Bucket("decayed_value", None, decayed_value)], "RECENT")


def buckets(budget: int, reimbursements: Mapping[str, int], value: Mapping[str, Weight]) -> Payout:
    """NRP-style: claims for money and expenses are reimbursed first (in proportion to the
    claims when the budget is short), and what is left is split in proportion to value."""
    for claim in reimbursements.values():
        check_amount(claim)
    claimed = sum(reimbursements.values())
    return ordered_buckets(
        budget, [Bucket("reimbursement", claimed, reimbursements), Bucket("value", None, value)]
    )


def ordered_buckets(budget: int, pots: Sequence[Bucket], policy: str = "BUCKETS") -> Payout:
    """Each bucket in turn takes up to its cap of what is left and splits it by its weights;
    refuses a budget that the buckets cannot absorb."""
    check_amount(budget)
    left = budget
    portions: dict[str, list[Portion]] = {}
    for bucket in pots:
        pot = left if bucket.cap is None else _capped(left, bucket.cap)
        for member, portion in _split(pot, bucket).items():
            portions.setdefault(member, []).append(portion)
        left -= pot
    if left:
        raise P2PError("unspent_budget", f"{left} of {budget} fits in no bucket", 422)
    explanations = {
        member: Explanation(sum(p.amount for p in parts), tuple(parts))
        for member, parts in sorted(portions.items())
    }
    return _payout(policy, budget, explanations)


def _capped(left: int, cap: int) -> int:
    check_amount(cap)
    return min(left, cap)


def _split(pot: int, bucket: Bucket) -> dict[str, Portion]:
    amounts = largest_remainder(pot, bucket.weights)
    total = Fraction(sum(bucket.weights.values()))
    return {
        member: Portion(bucket.name, Fraction(bucket.weights[member]), total, pot, amount)
        for member, amount in amounts.items()
    }


def balanced(
    budget: int, lifetime_value: Mapping[str, Weight], paid_so_far: Mapping[str, int]
) -> Payout:
    """SourceCred BALANCED: the budget split in proportion to how far each member's payments
    fall short of their share of everything paid, this budget included.

    target = (Σ paid_so_far + budget) * value / Σ value, and underpayment = max(0, target -
    paid). The underpayments always add up to at least the budget (they exceed it by exactly
    what the over-paid received beyond their target), so every member gets at most their
    underpayment, give or take the one minor unit of rounding.
    """
    check_amount(budget)
    for paid in paid_so_far.values():
        check_amount(paid)
    value = integer_weights(lifetime_value)
    whole_value = sum(value.values())
    if whole_value == 0 and budget:
        raise P2PError("nothing_to_split", f"no member has value to split {budget} by", 422)
    goal = sum(paid_so_far.values()) + budget
    members = sorted(value.keys() | paid_so_far.keys())
    # Scaled by whole_value, targets and underpayments are integers and the split stays fast.
    short = {
        member: max(0, goal * value.get(member, 0) - paid_so_far.get(member, 0) * whole_value)
        for member in members
    }
    amounts = largest_remainder(budget, short)
    explanations = _balanced_explanations(budget, amounts, value, paid_so_far, short, goal)
    return _payout("BALANCED", budget, explanations)


def _balanced_explanations(
    budget: int,
    amounts: Mapping[str, int],
    value: Mapping[str, int],
    paid_so_far: Mapping[str, int],
    short: Mapping[str, int],
    goal: int,
) -> dict[str, Explanation]:
    scale = sum(value.values()) or 1
    total_short = Fraction(sum(short.values()), scale)
    explanations = {}
    for member, amount in amounts.items():
        underpayment = Fraction(short[member], scale)
        share = Fraction(value.get(member, 0), scale)
        balance = Balance(share, goal * share, paid_so_far.get(member, 0), underpayment)
        portion = Portion("underpayment", underpayment, total_short, budget, amount)
        explanations[member] = Explanation(amount, (portion,), balance)
    return explanations


def decay(
    value_by_period: Sequence[Mapping[K, Weight]], half_life_periods: int
) -> dict[K, Fraction]:
    """Each key's value summed over periods (oldest first, the last one current), each period
    weighted by `decay_factor(half_life_periods)` to the power of its age; exact."""
    numerator = _factor_numerator(half_life_periods)
    last = len(value_by_period) - 1
    totals: dict[K, Weight] = {}
    for index, period in enumerate(value_by_period):
        # factor**age over the common denominator DECAY_SCALE**last, as one integer
        weight = numerator ** (last - index) * DECAY_SCALE**index
        for key, amount in period.items():
            check_weight(amount)
            totals[key] = totals.get(key, 0) + amount * weight
    denominator = DECAY_SCALE ** max(last, 0)
    return {key: Fraction(totals[key]) / denominator for key in sorted(totals)}


def decay_factor(half_life_periods: int) -> Fraction:
    """The per-period decay: the largest multiple of 1e-9 not above 2 ** (-1 / half_life), so
    value halves in at least `half_life_periods` and never decays faster than that."""
    return Fraction(_factor_numerator(half_life_periods), DECAY_SCALE)


def _factor_numerator(half_life: int) -> int:
    # Checked before the cache, which would take True for 1.
    if isinstance(half_life, bool) or not isinstance(half_life, int) or half_life < 1:
        raise P2PError("invalid_half_life", f"a half-life is a whole number of periods >= 1, "
                       f"not {half_life!r}", 422)  # fmt: skip
    return _bisect_factor(half_life)


@cache
def _bisect_factor(half_life: int) -> int:
    # Bisect on integers: the largest n with (n / scale) ** half_life <= 1/2.
    low, high = 0, DECAY_SCALE
    limit = DECAY_SCALE**half_life
    while low < high:
        middle = (low + high + 1) // 2
        if 2 * middle**half_life <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def _payout(policy: str, budget: int, explanations: Mapping[str, Explanation]) -> Payout:
    amounts = {member: explanation.amount for member, explanation in explanations.items()}
    return Payout(policy, budget, amounts, dict(explanations))


Policy = Callable[[int, PayoutInputs], Payout]
POLICIES: Mapping[str, Policy] = MappingProxyType(
    {
        "IMMEDIATE": lambda budget, given: immediate(budget, given.value_last_period),
        "RECENT": lambda budget, given: recent(budget, given.decayed_value),
        "BALANCED": lambda budget, given: balanced(budget, given.lifetime_value, given.paid_so_far),
        "BUCKETS": lambda budget, given: buckets(
            budget, given.reimbursements, given.lifetime_value
        ),
    }
)


def distribute(policy: str, budget: int, inputs: PayoutInputs) -> Payout:
    """The budget split by the named policy (a charter's `payout_policy`) over `inputs`."""
    run = POLICIES.get(policy)
    if run is None:
        known = ", ".join(POLICIES)
        raise P2PError("unknown_payout_policy", f"{policy!r} is not one of {known}", 422)
    return run(budget, inputs)


def check_budget(budget: int, available: int) -> None:
    """Refuses a budget that is negative or larger than the `available` balance."""
    check_amount(budget)
    if budget > available:
        raise P2PError(
            "insufficient_balance", f"the budget {budget} exceeds the balance {available}", 422
        )
