"""Exact money: integer minor units in an ISO 4217 currency, split by largest remainder.

An amount is a Python `int` counting the currency's minor unit (cents for EUR, yen for JPY,
fils for KWD). Nothing here touches a float: shares are `int` or `fractions.Fraction`, and a
split always adds up to exactly the amount split.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from p2pvalue.errors import P2PError

Weight = int | Fraction


class SortableKey(Protocol):
    """A key that can be hashed and put in order: what the tie-break of a split needs."""

    def __lt__(self, other: Any, /) -> bool: ...

    def __hash__(self) -> int: ...


K = TypeVar("K", bound=SortableKey)

# ISO 4217 minor-unit exponents of the currencies a community is likely to hold. Codes not
# here (BTC, lower-case codes, withdrawn currencies) are refused rather than guessed, since
# a wrong exponent would misstate every amount by a factor of ten or more.
_BY_EXPONENT: dict[int, tuple[str, ...]] = {
    0: (
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ),
    2: (
        "AED", "ARS", "AUD", "BGN", "BOB", "BRL", "CAD", "CHF", "CNY", "COP", "CRC", "CZK",
        "DKK", "DOP", "EGP", "ETB", "EUR", "GBP", "GEL", "GHS", "GTQ", "HKD", "HUF", "IDR",
        "ILS", "INR", "JMD", "KES", "KZT", "LKR", "MAD", "MXN", "MYR", "NGN", "NOK", "NPR",
        "NZD", "PEN", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SEK", "SGD",
        "THB", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "UYU", "VES", "XCD", "ZAR", "ZMW",
    ),
    3: ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"),
    4: ("CLF", "UYW"),
}  # fmt: skip
_DECIMAL = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")
_PERCENT = re.compile(r"([0-9]{1,3})(?:\.([0-9]{1,2}))?")
CURRENCY_EXPONENTS: Mapping[str, int] = MappingProxyType(
    {code: exponent for exponent, codes in _BY_EXPONENT.items() for code in codes}
)


def minor_unit_exponent(currency: str) -> int:
    """The number of decimal places of `currency`'s minor unit; refuses non-ISO codes."""
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is None:
        raise P2PError("unknown_currency", f"{currency!r} is not a known ISO 4217 code", 422)
    return exponent


def format_amount(minor: int, currency: str) -> str:
    """`minor` units of `currency` written in major units with the code: '12.50 EUR'."""
    exponent = minor_unit_exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10**exponent)
    if exponent == 0:
        return f"{sign}{whole} {currency}"
    return f"{sign}{whole}.{part:0{exponent}d} {currency}"


def parse_amount(text: str, currency: str) -> int:
    """The minor units written as `text` in major units ('12.5' EUR is 1250); exact or refused."""
    exponent = minor_unit_exponent(currency)
    match = _DECIMAL.fullmatch(text)
    if match is None:
        raise P2PError("invalid_amount", f"{text!r} is not a decimal amount", 422)
    sign, whole, part = match.group(1), match.group(2), match.group(3) or ""
    if len(part) > exponent:
        raise P2PError("too_many_decimals", f"{currency} has {exponent} decimals: {text!r}", 422)
    scale: int = 10**exponent
    minor = int(whole) * scale + int(part.ljust(exponent, "0") or "0")
    return -minor if sign == "-" else minor


def parse_share(text: str) -> int:
    """The basis points written as a percentage with at most two decimals ('33.33' is 3333)."""
    match = _PERCENT.fullmatch(text.strip())
    if match is None:
        raise P2PError("invalid_share", f"{text!r} is not a percentage like 25 or 33.33", 422)
    return int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))


def largest_remainder(total: int, weights: Mapping[K, Weight]) -> dict[K, int]:
    """Split `total` in proportion to `weights` exactly: the parts, in key order, sum to `total`.

    Each key first gets the whole part of its exact quota `total * weight / sum(weights)`;
    the units left over go one each to the keys with the largest fractional parts, and
    among equal fractional parts to the key that sorts first. Keys of zero weight get 0.
    """
    check_amount(total)
    scaled = integer_weights(weights)
    whole_weight = sum(scaled.values())
    if whole_weight == 0:
        if total == 0:
            return dict.fromkeys(sorted(scaled), 0)
        raise P2PError("nothing_to_split", f"no weight to split {total} by", 422)
    parts: dict[K, int] = {}
    remainders: list[tuple[int, K]] = []
    for key in sorted(scaled):
        parts[key], remainder = divmod(total * scaled[key], whole_weight)
        remainders.append((remainder, key))
    left_over = total - sum(parts.values())
    # A stable sort on the remainder alone keeps equal remainders in key order.
    remainders.sort(key=lambda pair: pair[0], reverse=True)
    for _, key in remainders[:left_over]:
        parts[key] += 1
    return parts


def integer_weights(weights: Mapping[K, Weight]) -> dict[K, int]:
    """The weights times their least common denominator: integers in the same proportions.

    Refuses negative weights and anything inexact (floats, bools). The cost grows with that
    denominator: weights over a few small denominators are cheap, thousands of unrelated
    ones (10,000 random denominators below 1e6 take about a minute) are not.
    """
    for weight in weights.values():
        check_weight(weight)
    denominator = math.lcm(*_denominators(weights.values()))
    if denominator == 1:
        return {key: int(weight) for key, weight in weights.items()}
    return {
        key: weight.numerator * (denominator // weight.denominator)
        for key, weight in weights.items()
    }


def _denominators(weights: Iterable[Weight]) -> set[int]:
    return {weight.denominator for weight in weights if isinstance(weight, Fraction)}


def check_amount(amount: int) -> None:
    """Refuses anything but a non-negative int of minor units."""
    if _exact(amount, fractions=False) < 0:
        raise P2PError("negative_amount", f"an amount may not be negative: {amount}", 422)


def check_weight(weight: Weight) -> None:
    """Refuses anything but a non-negative int or Fraction."""
    if _exact(weight, fractions=True) < 0:
        raise P2PError("negative_amount", f"a weight may not be negative: {weight}", 422)


def _exact(number: object, *, fractions: bool) -> int | Fraction:
    # Callers may hand in values parsed from JSON: a float would make a split inexact and a
    # bool is an int only by accident, so both are refused rather than converted.
    if isinstance(number, int) and not isinstance(number, bool):
        return number
    if fractions and isinstance(number, Fraction):
        return number
    raise P2PError("inexact_amount", f"expected an exact number, not {number!r}", 422)
