"""Payout policies: exact sums, no negative payouts, explained amounts (payouts.py)."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from p2pvalue.accounting.money import Weight
from p2pvalue.accounting.payouts import (
    DECAY_SCALE,
    POLICIES,
    Bucket,
    PayoutInputs,
    balanced,
    buckets,
    check_budget,
    decay,
    decay_factor,
    distribute,
    immediate,
    ordered_buckets,
    recent,
)
from p2pvalue.errors import P2PError

MEMBERS = st.sampled_from([f"did:key:z6Mk{index:02d}" for index in range(25)])
VALUES = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.fractions(min_value=0, max_value=10**4, max_denominator=40),
)
BUDGETS = st.integers(min_value=0, max_value=10**8)
MONEY = st.integers(min_value=0, max_value=10**7)


def value_maps(min_size: int = 1) -> st.SearchStrategy[dict[str, Weight]]:
    return st.dictionaries(MEMBERS, VALUES, min_size=min_size, max_size=20).filter(
        lambda values: sum(values.values()) > 0
    )


def money_maps() -> st.SearchStrategy[dict[str, int]]:
    return st.dictionaries(MEMBERS, MONEY, max_size=20)


def refused(action: Callable[[], object]) -> P2PError:
    """The refusal `action` raised; fails the test when it raised none."""
    with pytest.raises(P2PError) as caught:
        action()
    return caught.value


# -- IMMEDIATE and RECENT --------------------------------------------------------------------


def test_immediate_splits_by_last_period_value_and_explains_it() -> None:
    """1000 by 1:2:0 is 333.3…, 666.6… and 0: b's larger remainder takes the spare unit."""
    payout = immediate(1000, {"b": 2, "a": 1, "c": 0})
    assert payout.amounts == {"a": 333, "b": 667, "c": 0}
    assert (payout.policy, payout.budget) == ("IMMEDIATE", 1000)
    portion = payout.explanations["b"].portions[0]
    assert (portion.bucket, portion.weight, portion.total_weight) == (
        "value_last_period", Fraction(2), Fraction(3),
    )  # fmt: skip
    assert (portion.pot, portion.amount) == (1000, 667)


@given(BUDGETS, value_maps())
def test_immediate_pays_the_budget_within_one_unit_of_each_exact_share(
    budget: int, values: dict[str, Weight]
) -> None:
    amounts = immediate(budget, values).amounts
    assert sum(amounts.values()) == budget
    whole = sum(values.values())
    for member, value in values.items():
        assert abs(amounts[member] - Fraction(budget) * value / whole) < 1
        assert amounts[member] >= 0
        if value == 0:
            assert amounts[member] == 0


def test_decay_halves_value_once_per_half_life() -> None:
    """Half-life 1: the older period counts 1/2, so a has 100/2 + 100 = 150 and b has 10."""
    decayed = decay([{"a": 100}, {"a": 100, "b": 10}], half_life_periods=1)
    assert decayed == {"a": 150, "b": 10}
    assert recent(160, decayed).amounts == {"a": 150, "b": 10}


def test_decay_factor_is_the_largest_billionth_not_above_the_true_factor() -> None:
    assert decay_factor(1) == Fraction(1, 2)
    # 2 ** (-1/2) = 0.70710678118…, 2 ** (-1/52) = 0.98675869425…
    assert decay_factor(2) == Fraction(707_106_781, DECAY_SCALE)
    assert decay_factor(52) == Fraction(986_758_694, DECAY_SCALE)


@given(st.integers(min_value=1, max_value=400))
def test_decay_factor_brackets_one_half_over_a_half_life(half_life: int) -> None:
    factor = decay_factor(half_life)
    assert factor**half_life <= Fraction(1, 2) < (factor + Fraction(1, DECAY_SCALE)) ** half_life


@given(st.lists(st.dictionaries(MEMBERS, VALUES, max_size=6), max_size=8),
       st.integers(min_value=1, max_value=60))  # fmt: skip
def test_decay_weighs_each_period_by_the_factor_to_the_power_of_its_age(
    periods: list[dict[str, Weight]], half_life: int
) -> None:
    factor = decay_factor(half_life)
    expected: dict[str, Fraction] = {}
    for age, period in enumerate(reversed(periods)):
        for member, value in period.items():
            expected[member] = expected.get(member, Fraction(0)) + value * factor**age
    decayed = decay(periods, half_life)
    assert decayed == expected
    assert list(decayed) == sorted(expected)


@pytest.mark.parametrize("half_life", [0, -3, True, 1.5])
def test_a_half_life_is_a_whole_number_of_periods(half_life: object) -> None:
    error = refused(lambda: decay([{"a": 1}], half_life))  # type: ignore[arg-type]
    assert (error.code, error.status) == ("invalid_half_life", 422)


def test_decay_refuses_negative_and_inexact_values() -> None:
    assert refused(lambda: decay([{"a": -1}], 2)).code == "negative_amount"
    assert refused(lambda: decay([{"a": 0.5}], 2)).code == "inexact_amount"  # type: ignore[dict-item]


# -- BALANCED --------------------------------------------------------------------------------


def test_balanced_pays_the_under_paid_first() -> None:
    """Lifetime value a 1, b 1, c 2 (shares 1/4, 1/4, 1/2); paid so far a 300, b 0, c 100.

    With a budget of 400 everything paid will be 400 + 400 = 800, so the targets are a 200,
    b 200, c 400. a is over-paid (300 > 200) and gets nothing; b is short 200 and c 300, 500
    in all, and the 400 is split 200 : 300, giving b 160 and c 240. By share alone b would
    get 100: never having been paid, b gets more than that.
    """
    payout = balanced(400, {"a": 1, "b": 1, "c": 2}, {"a": 300, "c": 100})
    assert payout.amounts == {"a": 0, "b": 160, "c": 240}
    b = payout.explanations["b"].balance
    assert b is not None
    assert (b.share, b.target, b.paid_so_far, b.underpayment) == (
        Fraction(1, 4), Fraction(200), 0, Fraction(200),
    )  # fmt: skip
    a = payout.explanations["a"].balance
    assert a is not None
    assert (a.target, a.paid_so_far, a.underpayment) == (Fraction(200), 300, Fraction(0))
    portion = payout.explanations["c"].portions[0]
    assert (portion.bucket, portion.weight, portion.total_weight, portion.amount) == (
        "underpayment", Fraction(300), Fraction(500), 240,
    )  # fmt: skip


def test_balanced_rounds_by_largest_remainder() -> None:
    """A budget of 401: targets are 200.25, 200.25 and 400.5, so b is short 200.25 and c
    300.5 (500.75 in all); b's quota is 401 * 200.25 / 500.75 = 160.359… and c's 240.640…,
    so the spare unit goes to c."""
    payout = balanced(401, {"a": 1, "b": 1, "c": 2}, {"a": 300, "c": 100})
    assert payout.amounts == {"a": 0, "b": 160, "c": 241}


def test_balanced_with_payments_already_in_proportion_pays_by_share() -> None:
    """Values 1 : 3 and payments 100 : 300 are in balance; 40 more goes 10 : 30."""
    assert balanced(40, {"a": 1, "b": 3}, {"a": 100, "b": 300}).amounts == {"a": 10, "b": 30}


def test_balanced_with_no_history_is_a_split_by_value() -> None:
    assert balanced(100, {"a": 1, "b": 2, "c": 1}, {}).amounts == {"a": 25, "b": 50, "c": 25}


def test_balanced_lists_paid_members_without_value_and_pays_them_nothing() -> None:
    payout = balanced(90, {"a": 1, "b": 2}, {"gone": 500})
    assert payout.amounts == {"a": 30, "b": 60, "gone": 0}


def test_balanced_refuses_a_budget_with_no_value_to_split_it_by() -> None:
    error = refused(lambda: balanced(10, {"a": 0}, {"a": 5}))
    assert (error.code, error.status) == ("nothing_to_split", 422)
    assert balanced(0, {}, {"a": 5}).amounts == {"a": 0}


@pytest.mark.parametrize(
    ("budget", "paid", "code"),
    [(-1, {}, "negative_amount"), (10, {"a": -1}, "negative_amount"),
     (10, {"a": Fraction(1, 2)}, "inexact_amount"), (10.0, {}, "inexact_amount")],
)  # fmt: skip
def test_balanced_refuses_bad_money(budget: object, paid: object, code: str) -> None:
    error = refused(lambda: balanced(budget, {"a": 1}, paid))  # type: ignore[arg-type]
    assert error.code == code


@given(BUDGETS, value_maps(), money_maps())
def test_balanced_pays_the_budget_and_nobody_beyond_their_underpayment(
    budget: int, values: dict[str, Weight], paid: dict[str, int]
) -> None:
    payout = balanced(budget, values, paid)
    assert sum(payout.amounts.values()) == budget
    assert set(payout.amounts) == set(values) | set(paid)
    total_short = sum(e.balance.underpayment for e in payout.explanations.values() if e.balance)
    assert total_short >= budget
    for member, explanation in payout.explanations.items():
        balance = explanation.balance
        assert balance is not None
        assert 0 <= explanation.amount <= math.ceil(balance.underpayment)
        assert balance.target == (sum(paid.values()) + budget) * balance.share
        if values.get(member, 0) == 0:
            assert explanation.amount == 0


@given(BUDGETS.filter(bool), value_maps(min_size=2), st.data())
def test_balanced_gives_a_never_paid_member_more_than_their_share(
    budget: int, values: dict[str, Weight], data: st.DataObject
) -> None:
    """Whenever money has been paid before, only to members with value, a member with value
    who was never paid has an exact quota above their plain share of the budget."""
    newcomer = data.draw(st.sampled_from(sorted(values)))
    others = [member for member in sorted(values) if member != newcomer and values[member]]
    assume(values[newcomer] > 0 and others)
    paid = data.draw(st.dictionaries(st.sampled_from(others), MONEY, min_size=1))
    assume(sum(paid.values()) > 0)
    payout = balanced(budget, values, paid)
    explanation = payout.explanations[newcomer]
    assert explanation.balance is not None
    portion = explanation.portions[0]
    quota = Fraction(budget) * portion.weight / portion.total_weight
    share = budget * explanation.balance.share
    assert quota > share
    assert explanation.amount >= math.floor(share)


# -- BUCKETS ---------------------------------------------------------------------------------


def test_buckets_reimburse_first_then_split_the_rest_by_value() -> None:
    """Claims a 300, b 900 are paid in full from 1500; the 300 left goes 1 : 1 to a and c."""
    payout = buckets(1500, {"a": 300, "b": 900}, {"a": 1, "c": 1})
    assert payout.amounts == {"a": 450, "b": 900, "c": 150}
    assert [(p.bucket, p.amount) for p in payout.explanations["a"].portions] == [
        ("reimbursement", 300), ("value", 150),
    ]  # fmt: skip
    assert [p.bucket for p in payout.explanations["b"].portions] == ["reimbursement"]


def test_a_short_budget_reimburses_in_proportion_to_the_claims() -> None:
    """1000 against claims of 300 and 900 (1200) pays 250 and 750; nothing is left for value."""
    payout = buckets(1000, {"a": 300, "b": 900}, {"a": 1, "c": 1})
    assert payout.amounts == {"a": 250, "b": 750, "c": 0}
    value = payout.explanations["c"].portions[0]
    assert (value.bucket, value.pot, value.amount) == ("value", 0, 0)


def test_a_short_budget_breaks_reimbursement_ties_by_member_order() -> None:
    assert buckets(2, {"c": 5, "b": 5, "a": 5}, {}).amounts == {"a": 1, "b": 1, "c": 0}


@given(BUDGETS, money_maps(), value_maps())
def test_buckets_pay_claims_before_value_and_the_whole_budget(
    budget: int, claims: dict[str, int], values: dict[str, Weight]
) -> None:
    payout = buckets(budget, claims, values)
    assert sum(payout.amounts.values()) == budget
    claimed = sum(claims.values())
    for member, explanation in payout.explanations.items():
        parts = {portion.bucket: portion.amount for portion in explanation.portions}
        reimbursed = parts.get("reimbursement", 0)
        assert explanation.amount == sum(parts.values()) >= 0
        if budget >= claimed:
            assert reimbursed == claims.get(member, 0)
        else:
            assert reimbursed <= claims[member] if member in claims else reimbursed == 0
            assert parts.get("value", 0) == 0
        if values.get(member, 0) == 0:
            assert explanation.amount == reimbursed


def test_ordered_buckets_fill_each_cap_in_turn() -> None:
    pots = [
        Bucket("fees", 100, {"host": 1}),
        Bucket("care", 50, {"a": 1, "b": 1}),
        Bucket("value", None, {"a": 1, "c": 3}),
    ]
    payout = ordered_buckets(250, pots)
    assert payout.amounts == {"a": 50, "b": 25, "c": 75, "host": 100}
    assert [(p.bucket, p.pot, p.amount) for p in payout.explanations["a"].portions] == [
        ("care", 50, 25), ("value", 100, 25),
    ]  # fmt: skip


def test_a_budget_the_buckets_cannot_hold_is_refused() -> None:
    error = refused(lambda: ordered_buckets(150, [Bucket("fees", 100, {"host": 1})]))
    assert (error.code, error.status) == ("unspent_budget", 422)
    error = refused(lambda: ordered_buckets(10, [Bucket("fees", -1, {"host": 1})]))
    assert error.code == "negative_amount"


def test_reimbursement_claims_are_money() -> None:
    assert refused(lambda: buckets(10, {"a": -5}, {"a": 1})).code == "negative_amount"
    error = refused(lambda: buckets(10, {"a": Fraction(1, 2)}, {"a": 1}))  # type: ignore[dict-item]
    assert error.code == "inexact_amount"


# -- the registry ----------------------------------------------------------------------------


def test_distribute_runs_the_named_policy_over_its_own_inputs() -> None:
    inputs = PayoutInputs(
        value_last_period={"a": 1, "b": 3},
        decayed_value={"a": 3, "b": 1},
        lifetime_value={"a": 1, "b": 1},
        paid_so_far={"a": 100},
        reimbursements={"b": 10},
    )
    expected = {
        "IMMEDIATE": {"a": 25, "b": 75},
        "RECENT": {"a": 75, "b": 25},
        "BALANCED": {"a": 0, "b": 100},
        "BUCKETS": {"a": 45, "b": 55},
    }
    assert set(POLICIES) == set(expected)
    for policy, amounts in expected.items():
        payout = distribute(policy, 100, inputs)
        assert (payout.policy, payout.amounts) == (policy, amounts)


@pytest.mark.parametrize("policy", ["balanced", "EQUAL", ""])
def test_an_unknown_policy_is_refused(policy: str) -> None:
    error = refused(lambda: distribute(policy, 100, PayoutInputs()))
    assert (error.code, error.status) == ("unknown_payout_policy", 422)
    assert "BALANCED" in error.message


def test_check_budget_refuses_more_than_the_balance() -> None:
    check_budget(500, 500)
    error = refused(lambda: check_budget(501, 500))
    assert (error.code, error.status) == ("insufficient_balance", 422)
    assert refused(lambda: check_budget(-1, 500)).code == "negative_amount"
