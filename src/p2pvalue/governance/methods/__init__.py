"""The decision methods, each a pure function with a documented, deterministic tie-break.

`tally(rules, options, casts, eligible_weight)` runs the method the rules name;
`check_ballot` refuses a ballot the method cannot count (an unknown option, too many
approvals, credits overspent, a block without a reason); `decided_early` says whether no
ballot still to come could change the outcome (Aragon's early-execution rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from p2pvalue.governance.methods import binary, budget, cardinal, meeting, ranked
from p2pvalue.governance.methods.base import (
    BINARY_METHODS,
    CHOICE_METHODS,
    METHODS,
    TIE_BREAKS,
    Cast,
    CheckFn,
    Option,
    Rules,
    Tally,
    TallyFn,
)

__all__ = [
    "BINARY_METHODS", "CHOICE_METHODS", "METHODS", "TIE_BREAKS", "Cast", "Option", "Rules",
    "Tally", "check_ballot", "decided_early", "tally",
]  # fmt: skip

_TALLIES: dict[str, TallyFn] = {
    **binary.TALLIES, **cardinal.TALLIES, **ranked.TALLIES, **budget.TALLIES,
    **meeting.TALLIES,
}  # fmt: skip
_CHECKS: dict[str, CheckFn] = {
    **binary.CHECKS, **cardinal.CHECKS, **ranked.CHECKS, **budget.CHECKS,
    **meeting.CHECKS,
}  # fmt: skip


def tally(rules: Rules, options: Sequence[Option], casts: Sequence[Cast], eligible: int) -> Tally:
    """The result of `rules.method` over `casts`, out of `eligible` total eligible weight."""
    return _TALLIES[rules.method](rules, options, casts, eligible)


def check_ballot(rules: Rules, options: Sequence[Option], ballot: Mapping[str, Any]) -> str | None:
    """None if `ballot` is one the method can count, else the refusal code."""
    return _CHECKS[rules.method](rules, options, ballot)


def decided_early(
    rules: Rules, options: Sequence[Option], casts: Sequence[Cast], eligible: int
) -> bool:
    """Whether the outcome is settled before the window ends: everyone eligible has voted,
    or (for majority) no remaining ballots could change it."""
    if sum(cast.weight for cast in casts) >= eligible > 0:
        return True
    return rules.method in BINARY_METHODS and binary.decided_early(rules, casts, eligible)
