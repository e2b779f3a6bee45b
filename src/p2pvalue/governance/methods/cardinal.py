"""Choosing `rules.seats` options by approval, score or quadratic votes.

Every method here sums weighted ballots into one total per option (a Cast of weight w counts
as w identical ballots) and elects the options with the highest positive totals: an option
nobody approved, scored or voted for on balance never wins. Only a tie at the cut — options
with equal totals on both sides of the last seat — has to be broken; `base.tie_order` breaks
it and the Tally reports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Any

from p2pvalue.governance.methods.base import (
    Cast,
    CheckFn,
    Option,
    Rules,
    Tally,
    TallyFn,
    tie_order,
)


def _text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def approved_ids(ballot: object) -> list[str] | None:
    """The ids an `{"approve": [...]}` ballot lists, or None if it is not shaped so."""
    if not isinstance(ballot, Mapping) or set(ballot) != {"approve"}:
        return None
    ids = ballot["approve"]
    if not isinstance(ids, list | tuple) or not all(isinstance(i, str) for i in ids):
        return None
    return list(ids)


def int_map(ballot: object, key: str) -> dict[str, int] | None:
    """The `{option id: int}` mapping a `{key: {...}}` ballot holds, or None if it is not
    shaped so (booleans are not numbers here)."""
    if not isinstance(ballot, Mapping) or set(ballot) != {key}:
        return None
    values = ballot[key]
    if not isinstance(values, Mapping):
        return None
    shaped = all(
        isinstance(option, str) and isinstance(n, int) and not isinstance(n, bool)
        for option, n in values.items()
    )
    return dict(values) if shaped else None


def check_approval(
    rules: Rules, options: Sequence[Option], ballot: Mapping[str, Any]
) -> str | None:
    """None if `ballot` approves distinct known options, at most `rules.max_approvals`."""
    approved = approved_ids(ballot)
    if approved is None:
        return "bad_ballot"
    if not set(approved) <= {option.id for option in options}:
        return "unknown_option"
    if len(set(approved)) != len(approved):
        return "duplicate_option"
    if rules.max_approvals is not None and len(approved) > rules.max_approvals:
        return "too_many_approvals"
    return None


def check_score(rules: Rules, options: Sequence[Option], ballot: Mapping[str, Any]) -> str | None:
    """None if `ballot` scores known options with integers from 0 to `rules.score_max`."""
    scores = int_map(ballot, "scores")
    if scores is None:
        return "bad_ballot"
    if not set(scores) <= {option.id for option in options}:
        return "unknown_option"
    if not all(0 <= score <= rules.score_max for score in scores.values()):
        return "score_out_of_range"
    return None


def check_quadratic(
    rules: Rules, options: Sequence[Option], ballot: Mapping[str, Any]
) -> str | None:
    """None if `ballot` votes (for or, negative, against) known options and the squares of its
    votes add up to at most `rules.credits` (no credits set: nothing may be spent)."""
    votes = int_map(ballot, "votes")
    if votes is None:
        return "bad_ballot"
    if not set(votes) <= {option.id for option in options}:
        return "unknown_option"
    if sum(n * n for n in votes.values()) > (rules.credits or 0):
        return "credits_exceeded"
    return None


def elect(rules: Rules, totals: Mapping[str, int]) -> tuple[list[str], list[str]]:
    """The `rules.seats` options with the highest positive totals, best first, and the
    options tied at the cut if the last seat had to be decided by `tie_order`."""
    rank = {option: i for i, option in enumerate(tie_order(rules, list(totals)))}
    running = sorted(
        (option for option, total in totals.items() if total > 0),
        key=lambda option: (-totals[option], rank[option]),
    )
    seats = max(rules.seats, 0)
    winners = running[:seats]
    if not winners or len(running) <= seats or totals[running[seats]] != totals[winners[-1]]:
        return winners, []
    cut = totals[winners[-1]]
    return winners, [option for option in running if totals[option] == cut]


def _elected(rules: Rules, totals: Mapping[str, int], measure: str) -> Tally:
    winners, tied = elect(rules, totals)
    if not winners:
        return Tally(rules.method, False, reason=f"no option has a positive {measure}")
    reason = f"elected {', '.join(winners)} by {measure}"
    if tied:
        reason += (
            f"; {', '.join(tied)} tied at {totals[tied[0]]} for the last seat,"
            f" broken by the {rules.tie_break} tie order"
        )
    return Tally(rules.method, True, tuple(winners), bool(tied), tuple(tied), reason)


def _ballots(casts: Sequence[Cast]) -> int:
    return sum(cast.weight for cast in casts)


def tally_approval(
    rules: Rules, options: Sequence[Option], casts: Sequence[Cast], eligible: int
) -> Tally:
    """Elects the options with the most approval weight."""
    approvals = {option.id: 0 for option in options}
    for cast in casts:
        for option in set(approved_ids(cast.ballot) or ()) & approvals.keys():
            approvals[option] += cast.weight
    outcome = _elected(rules, approvals, "approval weight")
    figures = {"approvals": approvals, "ballots": _ballots(casts)}
    return replace(outcome, figures=figures)


def tally_score(
    rules: Rules, options: Sequence[Option], casts: Sequence[Cast], eligible: int
) -> Tally:
    """Elects the options with the highest weighted total score; an unscored option
    scores 0, so each average is over every ballot."""
    totals = {option.id: 0 for option in options}
    for cast in casts:
        for option, score in (int_map(cast.ballot, "scores") or {}).items():
            if option in totals:
                totals[option] += cast.weight * score
    ballots = _ballots(casts)
    averages = {option: _text(Fraction(total, ballots or 1)) for option, total in totals.items()}
    outcome = _elected(rules, totals, "total score")
    figures = {"totals": totals, "averages": averages, "ballots": ballots}
    return replace(outcome, figures=figures)


def tally_quadratic(
    rules: Rules, options: Sequence[Option], casts: Sequence[Cast], eligible: int
) -> Tally:
    """Elects the options with the most net votes (for minus against), if positive. A Cast of
    weight w counts as w identical ballots: its votes, and the credits they cost, times w."""
    net = {option.id: 0 for option in options}
    spent = {option.id: 0 for option in options}
    for cast in casts:
        for option, votes in (int_map(cast.ballot, "votes") or {}).items():
            if option in net:
                net[option] += cast.weight * votes
                spent[option] += cast.weight * votes * votes
    outcome = _elected(rules, net, "net votes")
    figures = {"net_votes": net, "credits_spent": spent, "ballots": _ballots(casts)}
    return replace(outcome, figures=figures)


TALLIES: dict[str, TallyFn] = {
    "approval": tally_approval,
    "score": tally_score,
    "quadratic": tally_quadratic,
}
CHECKS: dict[str, CheckFn] = {
    "approval": check_approval,
    "score": check_score,
    "quadratic": check_quadratic,
}
