"""What every decision method reads and returns.

A method is a pure function of the frozen rules of a proposal, its options and the ballots
that count (`Cast`), each already checked against the method's ballot shape. Weights are
integers: 1 each under one member one vote, scaled reputation otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

BINARY_METHODS = ("consent", "majority", "lazy_consensus")
CHOICE_METHODS = (
    "approval", "score", "borda", "schulze", "irv", "stv", "dot", "equal_shares", "quadratic",
    "meeting",
)  # fmt: skip
METHODS = BINARY_METHODS + CHOICE_METHODS
TIE_BREAKS = ("status_quo", "lexicographic", "seeded")
CHOICES = ("yes", "no", "abstain", "block")


@dataclass(frozen=True)
class Option:
    """One of a proposal's choices: a candidate, a project with its cost, an alternative."""

    id: str
    label: str = ""
    cost: int | None = None


@dataclass(frozen=True)
class Rules:
    """The parameters of a decision policy that a method reads, frozen when a proposal opens.

    `quorum` is the share of eligible weight that must take part (abstentions count);
    `threshold` is the support yes / (yes + no) that must be strictly exceeded, or with
    `threshold_of` "eligible", the share yes / eligible weight. A block (where `veto` is
    on) rejects unless support strictly exceeds `veto_override`.
    """

    method: str
    quorum: Fraction = Fraction(0)
    threshold: Fraction = Fraction(1, 2)
    threshold_of: str = "cast"
    veto: bool = False
    veto_override: Fraction | None = None
    seats: int = 1
    budget: int | None = None
    credits: int | None = None
    max_approvals: int | None = None
    score_max: int = 5
    dots: int | None = None
    tie_break: str = "status_quo"
    seed: str = ""


@dataclass(frozen=True)
class Cast:
    """A ballot that counts: who cast it, with what weight, and its content."""

    voter: str
    weight: int
    ballot: Mapping[str, Any]


@dataclass(frozen=True)
class Tally:
    """A method's result. `passed` is the outcome of a binary decision, or whether a choice
    decision elected or funded anything; `winners` are option ids in order. A tie is always
    reported (`tie`, `tied`), with `reason` naming how it was broken."""

    method: str
    passed: bool
    winners: tuple[str, ...] = ()
    tie: bool = False
    tied: tuple[str, ...] = ()
    reason: str = ""
    figures: Mapping[str, Any] = field(default_factory=dict)


TallyFn = Callable[[Rules, Sequence[Option], Sequence[Cast], int], Tally]
CheckFn = Callable[[Rules, Sequence[Option], Mapping[str, Any]], str | None]


def tie_order(rules: Rules, option_ids: Sequence[str]) -> list[str]:
    """Option ids in the order the charter's tie-break rule prefers them, best first.

    `lexicographic` and `status_quo` prefer the smaller id; `seeded` orders by a hash of the
    proposal's id and the option, so the order is fixed by the log yet not chosen by anyone.
    """
    if rules.tie_break == "seeded":
        return sorted(
            option_ids,
            key=lambda option: hashlib.sha256(f"{rules.seed}\x00{option}".encode()).digest(),
        )
    return sorted(option_ids)
