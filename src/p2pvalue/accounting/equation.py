"""The value equation: how a space turns an accepted contribution into value points.

The equation is part of the charter (`value.equation`), so it is signed content and holds
integers only: every rate, weight, multiplier and exchange rate is a ratio
``{"num": n, "den": d}`` with n >= 0 and d >= 1, and all arithmetic is exact, over
Fractions. The schema, version 1 (optional keys show their defaults)::

    {
      "version": 1,                     # >= 1; later equations carry higher versions
      "effective_from": 1764115200000,  # ms; in force for contributions from this time
      "kinds": {                        # exactly the kinds the charter lists
        "code": {
          "unit": "hours",              # "hours" | "units" | "money"
          "rate": {"num": 20, "den": 1},  # points per unit (money: per minor unit)
          "weight": {"num": 1, "den": 1},
          "multiplier": null,           # a name in "multipliers", applied always
          "unpaid_multiplier": "unpaid_time",  # a name, applied when not paid
          "formula": null               # e.g. "min(quantity, 40) + max(quantity - 40, 0) / 2"
        },
        "money": {"unit": "money", "rate": {"num": 1, "den": 100}, "multiplier": "cash"}
      },
      "multipliers": {"cash": {"num": 4, "den": 1}, "unpaid_time": {"num": 2, "den": 1}},
      "currencies": {"EUR": {"num": 1, "den": 1}},  # minor unit -> reference minor units
      "half_life_days": null,           # or >= 1: recency decay
      "caps": {"per_contribution": null, "per_member_per_period": null, "period_days": 30}
    }

A contribution is worth ``q * currency * rate * weight * multipliers``, where q is its
quantity (or the kind's `formula` of it, see `expression.py`), capped at
``caps.per_contribution`` points; `ValuedContribution.breakdown` lists every factor and
their product is the value. Slicing Pie's defaults are 4x for cash and 2x for unpaid time.

Decay: a value `age` ms old is worth ``value * 2**(-age / half_life)``. Whole half-lives
are exact powers of two; the fractional part is computed in integer fixed point
(`DECAY_BITS` bits, `math.isqrt` only), so every machine gets the same Fraction, within
2**-62 of the real number. After `DECAY_HORIZON` half-lives a value counts as zero.

Per-member caps bound the undecayed value one member earns per period; periods are
``period_days`` long, counted from the equation's `effective_from`, and earlier
contributions use the room first. An `EquationHistory` values each contribution with the
equation in force at its time, so a change applies from its effective date and earlier
values, with their breakdowns, stay as they were.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache, cached_property
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from p2pvalue.accounting.expression import MAX_FORMULA_CHARS, Formula, parse_formula
from p2pvalue.accounting.types import CURRENCY_PATTERN, DEFAULT_KINDS, KIND_PATTERN, MEASURES
from p2pvalue.errors import EventError

MAX_SAFE_INTEGER = 2**53 - 1
DAY_MS = 86_400_000
DECAY_BITS = 64
DECAY_HORIZON = 256
_WORK_BITS = DECAY_BITS + 16  # guard bits keep the rounding of many products below 2**-64
FORMULA_NAMES = ("quantity", *MEASURES)  # a measure the work does not carry is 0
HOUR_KINDS = ("code", "docs", "design", "translation", "care", "operations", "time")
REVIEW_RATE = 5  # points for one review in the default equation: a quarter of an hour's work
MEMO = 4096  # undecayed valuations kept per equation (see `ValueEquation._undecayed`)

Unit = Literal["hours", "units", "money"]
Name = Annotated[str, StringConstraints(pattern=KIND_PATTERN, max_length=40)]
Currency = Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RatioShape(_Shape):
    num: int = Field(ge=0, le=MAX_SAFE_INTEGER)
    den: int = Field(ge=1, le=MAX_SAFE_INTEGER)


class KindShape(_Shape):
    unit: Unit
    rate: RatioShape
    weight: RatioShape = RatioShape(num=1, den=1)
    multiplier: Name | None = None
    unpaid_multiplier: Name | None = None
    formula: str | None = Field(default=None, max_length=MAX_FORMULA_CHARS)


class CapsShape(_Shape):
    per_contribution: int | None = Field(default=None, ge=1, le=MAX_SAFE_INTEGER)
    per_member_per_period: int | None = Field(default=None, ge=1, le=MAX_SAFE_INTEGER)
    period_days: int = Field(default=30, ge=1, le=36_600)


class EquationShape(_Shape):
    """The equation exactly as the charter holds it; `parse_equation` adds the checks."""

    version: int = Field(ge=1, le=MAX_SAFE_INTEGER)
    effective_from: int = Field(ge=0, le=MAX_SAFE_INTEGER)
    kinds: dict[Name, KindShape] = Field(min_length=1, max_length=64)
    multipliers: dict[Name, RatioShape] = Field(default_factory=dict, max_length=16)
    currencies: dict[Currency, RatioShape] = Field(default_factory=dict, max_length=64)
    half_life_days: int | None = Field(default=None, ge=1, le=36_600)
    caps: CapsShape = CapsShape()


@dataclass(frozen=True, kw_only=True)
class ContributionFacts:
    """What the equation needs of one accepted contribution; `ts` is when the work was done."""

    kind: str
    quantity: int
    unit: str
    currency: str | None = None
    paid: bool = False
    ts: int
    measures: tuple[tuple[str, int], ...] = ()  # what imported work carried (see MEASURES)


class Step(NamedTuple):
    """One factor of a value, named for the person reading the breakdown."""

    step: str
    factor: Fraction


def _variables(facts: ContributionFacts) -> dict[str, Fraction]:
    carried = {name: Fraction(count) for name, count in facts.measures}
    return {**dict.fromkeys(MEASURES, Fraction(0)), **carried, "quantity": Fraction(facts.quantity)}


@dataclass(frozen=True)
class ValuedContribution:
    """A value with the equation version that produced it and the factors that make it."""

    value: Fraction
    equation_version: int
    breakdown: tuple[Step, ...]


@dataclass(frozen=True)
class KindRule:
    unit: str
    rate: Fraction
    weight: Fraction = Fraction(1)
    multiplier: str | None = None
    unpaid_multiplier: str | None = None
    formula: Formula | None = None


@dataclass(frozen=True)
class Caps:
    per_contribution: int | None = None
    per_member_per_period: int | None = None
    period_days: int = 30


@dataclass(frozen=True)
class ValueEquation:
    """A checked equation (build it with `parse_equation`); every method is pure and exact."""

    version: int
    effective_from: int
    kinds: Mapping[str, KindRule]
    multipliers: Mapping[str, Fraction] = field(default_factory=dict)
    currencies: Mapping[str, Fraction] = field(default_factory=dict)
    half_life_days: int | None = None
    caps: Caps = Caps()

    def valued(self, facts: ContributionFacts, at_ts: int | None = None) -> ValuedContribution:
        """The contribution's value with its breakdown; decayed to `at_ts` when one is given."""
        if at_ts is None or self.half_life_days is None:
            return self._undecayed(facts)
        found = self._undecayed(facts)
        factor = self.decay_factor(at_ts - facts.ts)
        return ValuedContribution(found.value * factor, self.version,
                                  (*found.breakdown, Step("decay", factor)))  # fmt: skip

    def _undecayed(self, facts: ContributionFacts) -> ValuedContribution:
        """`valued` without decay: a function of the facts but their time, so kept per
        equation for the facts lately valued (a ledger values the same few again and again:
        measured, two thirds of a cold fold of 100,000 events went on these Fractions)."""
        key = (facts.kind, facts.quantity, facts.unit, facts.currency, facts.paid, facts.measures)
        memo = self._memo
        found = memo.get(key)
        if found is None:
            found = self._value(facts)
            if len(memo) >= MEMO:
                memo.clear()
            memo[key] = found
        return found

    @cached_property
    def _memo(self) -> dict[tuple[object, ...], ValuedContribution]:
        return {}

    def _value(self, facts: ContributionFacts) -> ValuedContribution:
        steps = self._base_steps(facts)
        value = math.prod((step.factor for step in steps), start=Fraction(1))
        cap = self.caps.per_contribution
        if cap is not None and value > cap:
            steps.append(Step("cap:per_contribution", cap / value))
            value = Fraction(cap)
        return ValuedContribution(value, self.version, tuple(steps))

    def value_of(self, facts: ContributionFacts, at_ts: int) -> Fraction:
        """The contribution's capped value, decayed to `at_ts`; never negative."""
        return self.valued(facts, at_ts).value

    def decay_factor(self, age_ms: int) -> Fraction:
        """2**(-age / half-life) as documented above; 1 without a half-life or for age <= 0."""
        if self.half_life_days is None:
            return Fraction(1)
        return half_power(max(age_ms, 0), self.half_life_days * DAY_MS)

    def decayed(self, value: Fraction, age_ms: int) -> Fraction:
        """`value` after `age_ms` of decay."""
        return value * self.decay_factor(age_ms)

    def _base_steps(self, facts: ContributionFacts) -> list[Step]:
        rule = self._rule_for(facts)
        quantity = Fraction(facts.quantity)
        steps = [Step("quantity", quantity)]
        if rule.formula is not None:
            effective = max(rule.formula.evaluate(_variables(facts)), Fraction(0))
            steps.append(Step("formula", effective / quantity))
        if facts.currency is not None:
            steps.append(Step(f"currency:{facts.currency}", self.currencies[facts.currency]))
        steps += [Step("rate", rule.rate), Step("weight", rule.weight)]
        applied = [rule.multiplier, None if facts.paid else rule.unpaid_multiplier]
        steps += [Step(f"multiplier:{n}", self.multipliers[n]) for n in applied if n]
        return steps

    def _rule_for(self, facts: ContributionFacts) -> KindRule:
        rule = self.kinds.get(facts.kind)
        if rule is None:
            raise EventError("unknown_kind", f"equation v{self.version} has no kind {facts.kind!r}")
        if facts.unit != rule.unit:
            raise EventError("unit_mismatch", f"{facts.kind} is measured in {rule.unit}")
        if facts.quantity <= 0:
            raise EventError("quantity_not_positive", "quantity must be a positive integer")
        if (facts.unit == "money") != (facts.currency is not None):
            raise EventError("currency_mismatch", "money names a currency; others do not")
        if facts.currency is not None and facts.currency not in self.currencies:
            raise EventError("unknown_currency", f"equation has no currency {facts.currency}")
        return rule

    def to_content(self) -> dict[str, Any]:
        """The charter form of this equation; `parse_equation` reads it back unchanged."""
        return {
            "version": self.version,
            "effective_from": self.effective_from,
            "kinds": {name: _kind_content(rule) for name, rule in sorted(self.kinds.items())},
            "multipliers": {n: _ratio(r) for n, r in sorted(self.multipliers.items())},
            "currencies": {c: _ratio(r) for c, r in sorted(self.currencies.items())},
            "half_life_days": self.half_life_days,
            "caps": {
                "per_contribution": self.caps.per_contribution,
                "per_member_per_period": self.caps.per_member_per_period,
                "period_days": self.caps.period_days,
            },
        }


def _ratio(value: Fraction) -> dict[str, int]:
    return {"num": value.numerator, "den": value.denominator}


def _kind_content(rule: KindRule) -> dict[str, Any]:
    return {
        "unit": rule.unit,
        "rate": _ratio(rule.rate),
        "weight": _ratio(rule.weight),
        "multiplier": rule.multiplier,
        "unpaid_multiplier": rule.unpaid_multiplier,
        "formula": rule.formula.text if rule.formula else None,
    }


@cache
def _half_roots() -> tuple[int, ...]:
    """2**(-2**-i) for i = 1 .. _WORK_BITS in _WORK_BITS fixed point, each rounded down."""
    roots = [math.isqrt(1 << (2 * _WORK_BITS - 1))]
    while len(roots) < _WORK_BITS:
        roots.append(math.isqrt(roots[-1] << _WORK_BITS))
    return tuple(roots)


def half_power(age: int, half_life: int) -> Fraction:
    """2**(-age / half_life) for age >= 0: exact at whole half-lives, otherwise within
    2**-62, and the same Fraction on every machine."""
    whole, part = divmod(age, half_life)
    if whole >= DECAY_HORIZON:
        return Fraction(0)
    acc = 1 << _WORK_BITS
    for root in _half_roots():
        if part == 0:
            break
        part *= 2
        if part >= half_life:
            part -= half_life
            acc = (acc * root) >> _WORK_BITS
    return Fraction(acc >> (_WORK_BITS - DECAY_BITS), 1 << (DECAY_BITS + whole))


def parse_equation(
    content: Mapping[str, Any], kinds: Collection[str] | None = None
) -> ValueEquation:
    """A checked equation from charter content; with `kinds` (the charter's list) it must
    value exactly those. Refusals: invalid_equation, unknown_kind, unknown_multiplier,
    invalid_formula."""
    try:
        shape = EquationShape.model_validate(content)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "equation"
        raise EventError("invalid_equation", f"{where}: {first['msg']}") from None
    _check_references(shape)
    if kinds is not None:
        _check_kinds(shape, kinds)
    return _build(shape)


def _check_references(shape: EquationShape) -> None:
    for name, kind in shape.kinds.items():
        for ref in (kind.multiplier, kind.unpaid_multiplier):
            if ref is not None and ref not in shape.multipliers:
                raise EventError("unknown_multiplier", f"kind {name!r} names multiplier {ref!r}")
        if kind.unit == "money" and not shape.currencies:
            raise EventError("invalid_equation", f"money kind {name!r} needs a currency")


def _check_kinds(shape: EquationShape, kinds: Collection[str]) -> None:
    unknown = sorted(set(shape.kinds) - set(kinds))
    if unknown:
        raise EventError("unknown_kind", f"the equation values kinds {unknown} not in the charter")
    missing = sorted(set(kinds) - set(shape.kinds))
    if missing:
        raise EventError("invalid_equation", f"charter kinds {missing} have no entry")


def _fraction(ratio: RatioShape) -> Fraction:
    return Fraction(ratio.num, ratio.den)


def _build(shape: EquationShape) -> ValueEquation:
    kinds = {
        name: KindRule(
            unit=kind.unit,
            rate=_fraction(kind.rate),
            weight=_fraction(kind.weight),
            multiplier=kind.multiplier,
            unpaid_multiplier=kind.unpaid_multiplier,
            formula=parse_formula(kind.formula, FORMULA_NAMES) if kind.formula else None,
        )
        for name, kind in shape.kinds.items()
    }
    return ValueEquation(
        version=shape.version,
        effective_from=shape.effective_from,
        kinds=kinds,
        multipliers={name: _fraction(r) for name, r in shape.multipliers.items()},
        currencies={code: _fraction(r) for code, r in shape.currencies.items()},
        half_life_days=shape.half_life_days,
        caps=Caps(**shape.caps.model_dump()),
    )


def default_equation_content(
    kinds: Sequence[str] = DEFAULT_KINDS, currency: str = "EUR", hour_rate: int = 20
) -> dict[str, Any]:
    """A starting equation over `kinds`: hours at `hour_rate` points (2x unpaid), money at one
    point per major unit (4x), other kinds one point per unit; no decay, no caps."""
    entries: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        if kind in HOUR_KINDS:
            rate = {"num": hour_rate, "den": 1}
            entries[kind] = {"unit": "hours", "rate": rate, "unpaid_multiplier": "unpaid_time"}
        elif kind == "review":
            entries[kind] = {"unit": "units", "rate": {"num": REVIEW_RATE, "den": 1}}
        elif kind == "money":
            entries[kind] = {"unit": "money", "rate": {"num": 1, "den": 100}, "multiplier": "cash"}
        else:
            entries[kind] = {"unit": "units", "rate": {"num": 1, "den": 1}}
    return {
        "version": 1,
        "effective_from": 0,
        "kinds": entries,
        "multipliers": {"cash": {"num": 4, "den": 1}, "unpaid_time": {"num": 2, "den": 1}},
        "currencies": {currency: {"num": 1, "den": 1}},
    }


def charter_equation(kinds: Sequence[str], content: Mapping[str, Any] | None) -> ValueEquation:
    """The equation a charter's value policy sets, or the default over its kinds if none."""
    return parse_equation(
        content if content is not None else default_equation_content(kinds), kinds
    )


@dataclass(frozen=True)
class EquationHistory:
    """Every equation a space has had, ordered by `effective_from`; versions rise with it."""

    equations: tuple[ValueEquation, ...]

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.equations, key=lambda eq: eq.effective_from))
        if not ordered:
            raise EventError("invalid_equation", "an equation history holds an equation")
        for earlier, later in itertools.pairwise(ordered):
            if later.effective_from == earlier.effective_from or later.version <= earlier.version:
                raise EventError(
                    "invalid_equation",
                    f"v{later.version} must follow v{earlier.version} in version and date",
                )
        object.__setattr__(self, "equations", ordered)

    def with_equation(self, equation: ValueEquation) -> EquationHistory:
        """This history with `equation` added, as when a proposal to change it passes."""
        return EquationHistory((*self.equations, equation))

    def equation_at(self, ts: int) -> ValueEquation:
        """The equation in force at `ts`; work from before the first is valued by the first."""
        starts = [eq.effective_from for eq in self.equations]
        return self.equations[max(bisect.bisect_right(starts, ts) - 1, 0)]

    def value_with_audit(
        self, facts: ContributionFacts, at_ts: int | None = None
    ) -> ValuedContribution:
        """The contribution valued by the equation in force at its time, with the breakdown."""
        return self.equation_at(facts.ts).valued(facts, at_ts)

    def value_of(self, facts: ContributionFacts, at_ts: int) -> Fraction:
        """The contribution's value under the equation in force at its time, decayed to `at_ts`."""
        return self.value_with_audit(facts, at_ts).value


Valuation = ValueEquation | EquationHistory
Timed = tuple[int, Fraction]


def as_history(valuation: Valuation) -> EquationHistory:
    """`valuation` as a history; a lone equation values every contribution, whatever its date."""
    if isinstance(valuation, EquationHistory):
        return valuation
    return EquationHistory((valuation,))


def apply_member_caps(
    values: Mapping[str, Sequence[Timed]], equation: ValueEquation
) -> dict[str, list[Timed]]:
    """Each member's (ts, value) list with the per-member per-period cap applied, position for
    position; within a period the earliest (then smallest) values use the room first."""
    return {member: _capped(items, equation) for member, items in values.items()}


def _capped(items: Sequence[Timed], equation: ValueEquation) -> list[Timed]:
    cap = equation.caps.per_member_per_period
    kept = list(items)
    if cap is None:
        return kept
    period_ms = equation.caps.period_days * DAY_MS
    used: dict[int, Fraction] = {}
    for index in sorted(range(len(items)), key=lambda i: (*items[i], i)):
        ts, value = items[index]
        period = (ts - equation.effective_from) // period_ms
        taken = min(value, max(cap - used.get(period, Fraction(0)), Fraction(0)))
        used[period] = used.get(period, Fraction(0)) + taken
        kept[index] = (ts, taken)
    return kept


def member_values(
    contributions: Sequence[tuple[str, ContributionFacts]],
    valuation: Valuation,
    at_ts: int | None = None,
) -> dict[str, Fraction]:
    """Each member's total: contributions valued by the equation of their time, member caps
    applied per equation, then decayed to `at_ts` if given. Sorted by member."""
    history = as_history(valuation)
    grouped: dict[int, dict[str, list[Timed]]] = {eq.version: {} for eq in history.equations}
    for member, facts in contributions:
        equation = history.equation_at(facts.ts)
        value = equation.valued(facts).value
        grouped[equation.version].setdefault(member, []).append((facts.ts, value))
    totals = {member: Fraction(0) for member, _ in contributions}
    for equation in history.equations:
        for member, items in apply_member_caps(grouped[equation.version], equation).items():
            for ts, value in items:
                age = None if at_ts is None else at_ts - ts
                totals[member] += value if age is None else equation.decayed(value, age)
    return dict(sorted(totals.items()))


@dataclass(frozen=True)
class MemberChange:
    """One member's value and share of the total before and after a proposed equation."""

    value_before: Fraction
    value_after: Fraction
    share_before: Fraction
    share_after: Fraction

    @property
    def value_delta(self) -> Fraction:
        return self.value_after - self.value_before

    @property
    def share_delta(self) -> Fraction:
        return self.share_after - self.share_before


@dataclass(frozen=True)
class WhatIf:
    """The diff a voter sees: per member, and the totals; each side's shares sum to 1
    whenever its total is positive."""

    members: Mapping[str, MemberChange]
    total_before: Fraction
    total_after: Fraction


def what_if(
    contributions: Sequence[tuple[str, ContributionFacts]],
    current: Valuation,
    proposed: Valuation,
    at_ts: int,
) -> WhatIf:
    """Compare member values under `current` and `proposed` at `at_ts`. Pass lone equations
    to see every contribution revalued, or histories to see only what the change's date
    reaches (e.g. `history.with_equation(new)`)."""
    before = member_values(contributions, current, at_ts)
    after = member_values(contributions, proposed, at_ts)
    total_before = sum(before.values(), Fraction(0))
    total_after = sum(after.values(), Fraction(0))
    members = {
        member: MemberChange(
            before[member],
            after[member],
            _share(before[member], total_before),
            _share(after[member], total_after),
        )
        for member in before
    }
    return WhatIf(members, total_before, total_after)


def _share(value: Fraction, total: Fraction) -> Fraction:
    return value / total if total > 0 else Fraction(0)
