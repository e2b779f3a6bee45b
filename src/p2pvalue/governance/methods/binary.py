"""Yes/no decisions: majority vote, consent (sociocracy's "no objection") and lazy consensus
(Apache's "passes unless someone says -1 and why").

A ballot is `{"choice": "yes" | "no" | "abstain" | "block", "reason": str}` (reason optional,
at most 2000 characters). Every one of the three reads the same count of weight per choice;
support is yes / (yes + no + block) — a block always counts against (were it left out where
veto is on, blocking instead of voting no would make an override easier), and where a method
lets it veto, it also rejects unless that support strictly exceeds `rules.veto_override`
(None: a block cannot be overridden). Majority compares that support with its threshold,
or under `rules.threshold_of` "eligible" the yes weight's share of all eligible weight, so
members who did not vote count against ("more than 3/4 of the members agree"); the veto
override stays a line on support. A proposal that lands exactly on a line it must strictly
exceed is rejected and reported as a tie: the status quo wins a tie.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from p2pvalue.governance.methods.base import CHOICES, Cast, CheckFn, Option, Rules, Tally, TallyFn

MAX_REASON = 2000
_KEYS = frozenset({"choice", "reason"})
_TIED = ("yes", "no")


@dataclass(frozen=True)
class Count:
    """The weight behind each choice; `reasoned_no` is the part of `no` that gave a reason."""

    yes: int = 0
    no: int = 0
    abstain: int = 0
    block: int = 0
    reasoned_no: int = 0

    @property
    def cast(self) -> int:
        return self.yes + self.no + self.abstain + self.block

    @property
    def support(self) -> Fraction | None:
        """yes / (yes + no + block), or None when nobody took a side."""
        sided = self.yes + self.no + self.block
        return Fraction(self.yes, sided) if sided else None


def _has_reason(ballot: Mapping[str, Any]) -> bool:
    reason = ballot.get("reason", "")
    return isinstance(reason, str) and bool(reason.strip())


def count_casts(casts: Sequence[Cast]) -> Count:
    """The weight each choice received over `casts`."""
    totals = dict.fromkeys(("yes", "no", "abstain", "block", "reasoned_no"), 0)
    for cast in casts:
        choice = cast.ballot.get("choice")
        if choice in totals:
            totals[choice] += cast.weight
        if choice == "no" and _has_reason(cast.ballot):
            totals["reasoned_no"] += cast.weight
    return Count(**totals)


def _well_formed(ballot: object) -> bool:
    if not isinstance(ballot, Mapping) or not set(ballot) <= _KEYS:
        return False
    reason = ballot.get("reason", "")
    return ballot.get("choice") in CHOICES and isinstance(reason, str) and len(reason) <= MAX_REASON


def check(rules: Rules, options: Sequence[Option], ballot: Mapping[str, Any]) -> str | None:
    """None if `ballot` can be counted under `rules.method`, else why not: "bad_ballot",
    "block_not_allowed" (majority without veto), or "reason_required" (a block without a
    reason; under lazy consensus also a "no", since a -1 must say why)."""
    if not _well_formed(ballot):
        return "bad_ballot"
    choice = ballot["choice"]
    if choice == "block" and rules.method == "majority" and not rules.veto:
        return "block_not_allowed"
    objects = choice == "block" or (choice == "no" and rules.method == "lazy_consensus")
    return "reason_required" if objects and not _has_reason(ballot) else None


def _text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _quorum_shortfall(rules: Rules, count: Count, eligible: int) -> str | None:
    """Why the quorum is not met, or None if it is. With nobody eligible it never is."""
    if eligible <= 0:
        return "quorum not met: nobody is eligible"
    if Fraction(count.cast, eligible) >= rules.quorum:
        return None
    needed = -((-rules.quorum.numerator * eligible) // rules.quorum.denominator)
    return f"quorum not met: {count.cast} of {eligible} took part, {needed} needed"


def _figures(rules: Rules, count: Count, eligible: int) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "yes": count.yes, "no": count.no, "abstain": count.abstain, "block": count.block,
        "cast": count.cast, "eligible": eligible, "quorum": _text(rules.quorum),
    }  # fmt: skip
    if eligible > 0:
        figures["participation"] = _text(Fraction(count.cast, eligible))
    if count.support is not None:
        figures["support"] = _text(count.support)
    if rules.method == "majority":
        figures["threshold"] = _text(rules.threshold)
    if rules.threshold_of == "eligible" and eligible > 0:
        figures["threshold_of"] = "eligible"
        figures["yes_of_eligible"] = _text(Fraction(count.yes, eligible))
    if rules.veto_override is not None:
        figures["veto_override"] = _text(rules.veto_override)
    return figures


def _result(rules: Rules, passed: bool, reason: str, tie: bool = False) -> Tally:
    return Tally(rules.method, passed, tie=tie, tied=_TIED if tie else (), reason=reason)


def _overridden(rules: Rules, count: Count, objectors: int, what: str) -> Tally:
    """The outcome when `objectors` weight has blocked: rejected unless support strictly
    exceeds the override line."""
    line, support = rules.veto_override, count.support or Fraction(0)
    if line is None:
        return _result(rules, False, f"{what} by {objectors}; no override is allowed")
    shown = f"{what} by {objectors}: support {_text(support)}"
    if support == line:
        reason = f"{shown} equals the override line: status quo wins a tie"
        return _result(rules, False, reason, tie=True)
    verdict = "exceeds" if support > line else "does not exceed"
    return _result(rules, support > line, f"{shown} {verdict} the override line {_text(line)}")


def _share(rules: Rules, count: Count, eligible: int) -> tuple[Fraction | None, str]:
    """What the threshold is compared with, and what to call it: the support yes / (yes +
    no + block), or under `threshold_of` "eligible" the yes weight of all eligible weight."""
    if rules.threshold_of == "eligible":
        share = Fraction(count.yes, eligible) if count.support is not None else None
        return share, "yes of the eligible weight"
    return count.support, "support"


def _majority(rules: Rules, count: Count, eligible: int) -> Tally:
    share, name = _share(rules, count, eligible)
    if share is None:
        return _result(rules, False, "nobody voted yes or no")
    line = _text(rules.threshold)
    if share == rules.threshold:
        reason = f"{name} {line} equals the threshold: status quo wins a tie"
        return _result(rules, False, reason, tie=True)
    if share < rules.threshold:
        return _result(rules, False, f"{name} {_text(share)} does not exceed {line}")
    if count.block and rules.veto:
        return _overridden(rules, count, count.block, "blocked")
    return _result(rules, True, f"{name} {_text(share)} exceeds {line}")


def _without_objection(rules: Rules, count: Count) -> Tally:
    lazy = rules.method == "lazy_consensus"
    objectors = count.block + (count.reasoned_no if lazy else 0)
    if objectors:
        return _overridden(rules, count, objectors, "objected to (-1)" if lazy else "blocked")
    if lazy:
        return _result(rules, True, "no reasoned objection (-1)")
    return _result(rules, True, f"no blocks: consent given, {count.no + count.abstain} stood aside")


def decide(rules: Rules, count: Count, eligible: int) -> Tally:
    """The outcome of `count` under `rules.method`, out of `eligible` weight."""
    quorum_applies = rules.method == "majority" or rules.quorum > 0
    shortfall = _quorum_shortfall(rules, count, eligible) if quorum_applies else None
    if shortfall is not None:
        outcome = _result(rules, False, shortfall)
    elif rules.method == "majority":
        outcome = _majority(rules, count, eligible)
    else:
        outcome = _without_objection(rules, count)
    return replace(outcome, figures=_figures(rules, count, eligible))


def tally(rules: Rules, options: Sequence[Option], casts: Sequence[Cast], eligible: int) -> Tally:
    """The outcome of a binary decision over `casts`, out of `eligible` weight."""
    return decide(rules, count_casts(casts), eligible)


def decided_early(rules: Rules, casts: Sequence[Cast], eligible: int) -> bool:
    """Whether no ballots from the weight not yet cast could change `passed`.

    Rejection is certain when even all remaining weight voting yes would not pass (a block
    with no reachable override, a quorum out of reach). Under majority, passing is certain
    when it passes now and still passes if all remaining weight votes against — as blocks
    where veto is on, since support falls the same way and the veto is the worse case.
    Consent and lazy consensus never pass early: the window is how they give everyone the
    chance to object.
    """
    now = count_casts(casts)
    left = max(eligible - now.cast, 0)
    if not decide(rules, replace(now, yes=now.yes + left), eligible).passed:
        return True
    if rules.method != "majority":
        return False
    against = replace(now, block=now.block + left) if rules.veto else replace(now, no=now.no + left)
    return decide(rules, now, eligible).passed and decide(rules, against, eligible).passed


TALLIES: dict[str, TallyFn] = {
    "majority": tally,
    "consent": tally,
    "lazy_consensus": tally,
}
CHECKS: dict[str, CheckFn] = {
    "majority": check,
    "consent": check,
    "lazy_consensus": check,
}
