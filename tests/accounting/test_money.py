"""Exact money: currencies, formatting and the largest-remainder split (money.py)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from p2pvalue.accounting.money import (
    CURRENCY_EXPONENTS,
    Weight,
    check_amount,
    format_amount,
    integer_weights,
    largest_remainder,
    minor_unit_exponent,
    parse_amount,
    parse_share,
)
from p2pvalue.errors import P2PError

KEYS = st.sampled_from([f"m{index:02d}" for index in range(30)])
WEIGHTS = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.fractions(min_value=0, max_value=10**4, max_denominator=60),
)
TOTALS = st.integers(min_value=0, max_value=10**9)


def weight_maps(min_size: int = 1) -> st.SearchStrategy[dict[str, Weight]]:
    return st.dictionaries(KEYS, WEIGHTS, min_size=min_size, max_size=20).filter(
        lambda weights: sum(weights.values()) > 0
    )


def refused(action: Callable[[], object]) -> P2PError:
    """The refusal `action` raised; fails the test when it raised none."""
    with pytest.raises(P2PError) as caught:
        action()
    return caught.value


# -- currencies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("EUR", 2), ("USD", 2), ("GBP", 2), ("CHF", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3),
     ("BHD", 3), ("CLF", 4)],
)  # fmt: skip
def test_currencies_have_their_iso_minor_unit(currency: str, exponent: int) -> None:
    assert minor_unit_exponent(currency) == exponent


@pytest.mark.parametrize("currency", ["BTC", "eur", "EURO", "", "XXX"])
def test_codes_outside_iso_4217_are_refused(currency: str) -> None:
    error = refused(lambda: minor_unit_exponent(currency))
    assert (error.code, error.status) == ("unknown_currency", 422)
    assert repr(currency) in error.message


def test_every_listed_code_is_three_capital_letters() -> None:
    assert all(len(code) == 3 and code.isupper() for code in CURRENCY_EXPONENTS)
    assert set(CURRENCY_EXPONENTS.values()) == {0, 2, 3, 4}


# -- formatting and parsing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(1250, "EUR", "12.50 EUR"), (5, "EUR", "0.05 EUR"), (-5, "EUR", "-0.05 EUR"),
     (0, "USD", "0.00 USD"), (1250, "JPY", "1250 JPY"), (-7, "JPY", "-7 JPY"),
     (1, "KWD", "0.001 KWD"), (12345, "CLF", "1.2345 CLF"), (10**12, "GBP", "10000000000.00 GBP")],
)  # fmt: skip
def test_format_amount_writes_major_units_and_the_code(
    minor: int, currency: str, text: str
) -> None:
    assert format_amount(minor, currency) == text


def test_format_amount_refuses_unknown_currencies() -> None:
    assert refused(lambda: format_amount(100, "BTC")).code == "unknown_currency"


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("12.5", "EUR", 1250), ("12.50", "EUR", 1250), ("12", "EUR", 1200), ("0.001", "KWD", 1),
     ("-3.07", "USD", -307), ("1250", "JPY", 1250), ("007.1", "EUR", 710)],
)  # fmt: skip
def test_parse_amount_reads_major_units_exactly(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize("text", ["", "abc", "1e3", "+1", " 1", "1.", ".5", "1,50", "١٢", "--1"])
def test_parse_amount_refuses_what_is_not_a_plain_decimal(text: str) -> None:
    assert refused(lambda: parse_amount(text, "EUR")).code == "invalid_amount"


@pytest.mark.parametrize(("text", "currency"), [("12.345", "EUR"), ("1.5", "JPY")])
def test_parse_amount_refuses_more_decimals_than_the_currency_has(text: str, currency: str) -> None:
    assert refused(lambda: parse_amount(text, currency)).code == "too_many_decimals"


@given(
    st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(sorted(CURRENCY_EXPONENTS))
)
def test_parse_reads_back_what_format_wrote(minor: int, currency: str) -> None:
    number, code = format_amount(minor, currency).split(" ")
    assert code == currency
    assert parse_amount(number, currency) == minor


# -- amounts and weights ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "code"),
    [(-1, "negative_amount"), (1.0, "inexact_amount"), (True, "inexact_amount"),
     (Fraction(1, 2), "inexact_amount"), ("5", "inexact_amount")],
)  # fmt: skip
def test_check_amount_refuses_all_but_non_negative_ints(amount: object, code: str) -> None:
    error = refused(lambda: check_amount(amount))  # type: ignore[arg-type]
    assert (error.code, error.status) == (code, 422)


def test_integer_weights_keeps_proportions_with_the_least_common_denominator() -> None:
    assert integer_weights({"a": Fraction(1, 2), "b": Fraction(1, 3), "c": 2}) == {
        "a": 3, "b": 2, "c": 12,
    }  # fmt: skip
    assert integer_weights({"a": 4, "b": 0}) == {"a": 4, "b": 0}


# -- largest remainder: worked examples ------------------------------------------------------


def test_remainders_go_to_the_largest_fractional_parts() -> None:
    """Quotas of 10 by 5:3:2 over 10 units = 5, 3, 2 exactly; of 7: 3.5, 2.1, 1.4, so the
    floors 3, 2, 1 leave one unit, which goes to a (0.5 beats 0.4 and 0.1)."""
    assert largest_remainder(10, {"a": 5, "b": 3, "c": 2}) == {"a": 5, "b": 3, "c": 2}
    assert largest_remainder(7, {"a": 5, "b": 3, "c": 2}) == {"a": 4, "b": 2, "c": 1}


def test_equal_remainders_go_to_the_keys_that_sort_first() -> None:
    assert largest_remainder(7, {"d": 1, "c": 1, "b": 1, "a": 1}) == {
        "a": 2, "b": 2, "c": 2, "d": 1,
    }  # fmt: skip
    assert largest_remainder(1, {"zoe": 1, "ann": 1}) == {"ann": 1, "zoe": 0}


def test_the_split_comes_back_in_key_order() -> None:
    assert list(largest_remainder(3, {"c": 1, "a": 1, "b": 1})) == ["a", "b", "c"]


def test_fractions_split_exactly() -> None:
    """1/3 : 2/3 of 100 is 33.33… and 66.66…: the unit left goes to the larger remainder."""
    weights: dict[str, Weight] = {"x": Fraction(1, 3), "y": Fraction(2, 3), "z": 0}
    assert largest_remainder(100, weights) == {"x": 33, "y": 67, "z": 0}


def test_zero_weights_get_nothing() -> None:
    assert largest_remainder(99, {"a": 0, "b": 3, "c": 0}) == {"a": 0, "b": 99, "c": 0}


def test_nothing_is_split_to_nobody() -> None:
    assert largest_remainder(0, {}) == {}
    assert largest_remainder(0, {"a": 0, "b": 0}) == {"a": 0, "b": 0}


def test_a_total_with_no_weight_to_split_it_by_is_refused() -> None:
    error = refused(lambda: largest_remainder(5, {"a": 0}))
    assert (error.code, error.status) == ("nothing_to_split", 422)
    assert refused(lambda: largest_remainder(1, {})).code == "nothing_to_split"


@pytest.mark.parametrize(
    ("total", "weights", "code"),
    [(-1, {"a": 1}, "negative_amount"), (10, {"a": 1, "b": -1}, "negative_amount"),
     (10, {"a": Fraction(-1, 2)}, "negative_amount"), (10, {"a": 0.5}, "inexact_amount"),
     (10.0, {"a": 1}, "inexact_amount"), (10, {"a": True}, "inexact_amount")],
)  # fmt: skip
def test_bad_totals_and_weights_are_refused(total: object, weights: object, code: str) -> None:
    error = refused(lambda: largest_remainder(total, weights))  # type: ignore[arg-type]
    assert (error.code, error.status) == (code, 422)


# -- largest remainder: properties -----------------------------------------------------------


@given(TOTALS, weight_maps())
def test_the_parts_always_add_up_to_the_total(total: int, weights: dict[str, Weight]) -> None:
    parts = largest_remainder(total, weights)
    assert sum(parts.values()) == total
    assert set(parts) == set(weights)
    assert all(part >= 0 for part in parts.values())


@given(TOTALS, weight_maps())
def test_each_part_is_its_exact_quota_rounded_down_or_up(
    total: int, weights: dict[str, Weight]
) -> None:
    parts = largest_remainder(total, weights)
    whole = sum(weights.values())
    for key, weight in weights.items():
        quota = Fraction(total) * weight / whole
        assert math.floor(quota) <= parts[key] <= math.ceil(quota)
        assert abs(parts[key] - quota) < 1
        if weight == 0:
            assert parts[key] == 0


@given(TOTALS, weight_maps(min_size=2))
def test_rounded_up_keys_had_the_larger_remainders_and_ties_went_to_the_first_key(
    total: int, weights: dict[str, Weight]
) -> None:
    parts = largest_remainder(total, weights)
    whole = sum(weights.values())
    quota = {key: Fraction(total) * weight / whole for key, weight in weights.items()}
    remainder = {key: quota[key] - math.floor(quota[key]) for key in weights}
    up = [key for key in weights if parts[key] > quota[key]]
    down = [key for key in weights if parts[key] < quota[key]]
    for winner in up:
        for loser in down:
            assert (remainder[winner], loser) > (remainder[loser], winner)


@given(TOTALS, weight_maps(), st.randoms(use_true_random=False))
def test_the_split_does_not_depend_on_insertion_order(
    total: int, weights: dict[str, Weight], rng: random.Random
) -> None:
    items = list(weights.items())
    rng.shuffle(items)
    shuffled = largest_remainder(total, dict(items))
    straight = largest_remainder(total, weights)
    assert list(shuffled.items()) == list(straight.items())


@given(TOTALS, weight_maps(), st.integers(min_value=1, max_value=1000))
def test_scaling_every_weight_alike_changes_nothing(
    total: int, weights: dict[str, Weight], scale: int
) -> None:
    scaled = {key: Fraction(weight, scale) for key, weight in weights.items()}
    assert largest_remainder(total, scaled) == largest_remainder(total, weights)


@pytest.mark.parametrize(
    ("text", "basis_points"),
    [("100", 10_000), ("33.33", 3_333), ("66.67", 6_667), ("0.5", 50), (" 12.5 ", 1_250),
     ("0", 0)],
)  # fmt: skip
def test_a_share_in_percent_is_exact_basis_points(text: str, basis_points: int) -> None:
    assert parse_share(text) == basis_points


@pytest.mark.parametrize("text", ["33.333", "-5", "1e2", "", "12,5", "1000", "50 %"])
def test_a_share_with_more_than_two_decimals_or_no_number_is_refused(text: str) -> None:
    error = refused(lambda: parse_share(text))
    assert (error.code, error.status) == ("invalid_share", 422)
