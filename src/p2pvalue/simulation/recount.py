"""Past proposals counted again under another decision policy: which outcomes would change.

Each closed proposal is taken as its close saw it (`governance.proposals.at_close`: the
ballots in the close's causal past and the delegations then in force) and counted by the
governance methods' own `tally` under the other policy. Who was eligible and each voter's
weight stay as they were frozen when it opened (the history holds no other weights); a
ballot the other method cannot read (a yes/no ballot under a ranked method) is left out
and counted in `unreadable`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from p2pvalue.governance.methods import Cast, check_ballot, tally
from p2pvalue.governance.proposals import Proposal, casts, eligible_weight
from p2pvalue.governance.types import DecisionPolicy

Delegations = Mapping[tuple[str, str], str]


@dataclass(frozen=True)
class Recounted:
    """A closed proposal's recorded outcome beside the one the other policy gives."""

    proposal: str
    title: str
    kind: str
    method_before: str
    method_after: str
    passed_before: bool
    passed_after: bool
    winners_before: tuple[str, ...]
    winners_after: tuple[str, ...]
    reason_after: str
    unreadable: int  # ballots the other method could not count

    @property
    def changed(self) -> bool:
        return (self.passed_before, self.winners_before) != (self.passed_after, self.winners_after)


def recount(
    closed: Iterable[tuple[Proposal, Delegations]], policies: Mapping[str, DecisionPolicy]
) -> list[Recounted]:
    """Every closed proposal of a kind `policies` names (or of any kind, under `default`),
    counted again by that policy; oldest first."""
    found = []
    for proposal, delegations in closed:
        policy = policies.get(proposal.kind) or policies.get("default")
        if policy is not None and proposal.policy is not None and proposal.outcome is not None:
            found.append(recount_one(proposal, delegations, policy))
    return found


def recount_one(proposal: Proposal, delegations: Delegations, policy: DecisionPolicy) -> Recounted:
    """`proposal`, as its close saw it, counted by `policy` (its frozen voters and weights)."""
    assert proposal.policy is not None and proposal.outcome is not None
    kept = policy.model_copy(update={"weight": proposal.policy.weight,
                                     "delegation": proposal.policy.delegation})  # fmt: skip
    other = replace(proposal, policy=kept)
    counted, unreadable = _readable(other, casts(other, delegations))
    result = tally(other.rules, other.options, counted, eligible_weight(other))
    return Recounted(
        proposal.id, proposal.title, proposal.kind, proposal.policy.method, kept.method,
        proposal.outcome == "passed", result.passed, proposal.winners, result.winners,
        result.reason, unreadable,
    )  # fmt: skip


def _readable(proposal: Proposal, counted: Sequence[Cast]) -> tuple[list[Cast], int]:
    readable = [
        cast for cast in counted
        if check_ballot(proposal.rules, proposal.options, cast.ballot) is None
    ]  # fmt: skip
    return readable, len(counted) - len(readable)
