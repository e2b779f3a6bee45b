"""A proposal's state and its count: the ballots that count, delegation and vote weight.

A proposal is a declared lifecycle: draft → open → enacted | rejected, or withdrawn from
draft or open. Its decision policy, the eligible voters and their weights are frozen when it
opens. The count is a pure function of the proposal and the delegations in force at its
close, so anyone holding the log recounts the same result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from p2pvalue.errors import P2PError
from p2pvalue.governance.methods import Cast, Option, Rules, Tally, tally
from p2pvalue.governance.types import DecisionPolicy, fraction, threshold_basis

if TYPE_CHECKING:
    from p2pvalue.events.authority import Authority
    from p2pvalue.events.log import SpaceLog

DRAFT = "draft"
OPEN = "open"
ENACTED = "enacted"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
LIFECYCLE = {DRAFT: (OPEN, WITHDRAWN), OPEN: (ENACTED, REJECTED, WITHDRAWN)}
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True, slots=True)
class Ballot:
    """A member's current ballot on a proposal: the last one they cast (or revealed)."""

    content: Mapping[str, Any]
    event: str
    ts: int


@dataclass(frozen=True, slots=True)
class Statement:
    """What was decided and what happens next, recorded after the close: the latest
    `proposal.outcome` in the space's order stands, and `revisions` counts them all."""

    text: str
    author: str
    event: str
    ts: int
    revisions: int = 1


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A follow-up item of a passed decision in words (`followup.add`, then `followup.update`):
    its id is the id of the event that added it."""

    id: str
    title: str
    author: str
    ts: int
    status: str = "not_started"
    progress: int = 0
    note: str = ""
    updated_ts: int = 0


@dataclass(frozen=True)
class Proposal:
    id: str
    author: str
    kind: str
    title: str
    body: str
    action: Mapping[str, Any]
    options: tuple[Option, ...]
    created_ts: int
    status: str = DRAFT
    policy: DecisionPolicy | None = None
    opened_ts: int = 0
    witnessed: int | None = None  # when a timekeeper first held it open (see clock.tick)
    eligible: frozenset[str] = frozenset()
    weights: Mapping[str, int] = field(default_factory=dict)
    ballots: Mapping[str, Ballot] = field(default_factory=dict)
    commitments: Mapping[str, str] = field(default_factory=dict)
    closed_by: str | None = None
    closed_ts: int | None = None
    outcome: str | None = None
    winners: tuple[str, ...] = ()
    note: str = ""
    statement: Statement | None = None  # see governance.outcomes
    followups: Mapping[str, FollowUp] = field(default_factory=dict)

    @property
    def starts_at(self) -> int:
        """When the window starts: when a timekeeper first held the proposal open, a time its
        author cannot choose; until then, provisionally, the time the author claims."""
        return self.opened_ts if self.witnessed is None else self.witnessed

    @property
    def closes_at(self) -> int:
        """When voting ends (ms); 0 while a draft."""
        return self.starts_at + self.policy.window_hours * HOUR_MS if self.policy else 0

    @property
    def reveals_until(self) -> int:
        """When a secret ballot's reveal period ends; the same as `closes_at` otherwise."""
        if self.policy is None or not self.policy.secret:
            return self.closes_at
        return self.closes_at + self.policy.reveal_hours * HOUR_MS

    @property
    def review_at(self) -> int | None:
        """The review date a consent decision carries, once enacted."""
        if self.policy is None or self.policy.review_days is None or self.closed_ts is None:
            return None
        return self.closed_ts + self.policy.review_days * DAY_MS

    @property
    def rules(self) -> Rules:
        assert self.policy is not None, "a draft has no rules yet"
        return rules_of(self.policy, self.id)

    def weight_of(self, member: str) -> int:
        if self.policy is None or member not in self.eligible:
            return 0
        return 1 if self.policy.weight == "equal" else self.weights.get(member, 0)


def rules_of(policy: DecisionPolicy, seed: str) -> Rules:
    """The method parameters of `policy`, with the proposal id seeding seeded tie-breaks."""
    return Rules(
        method=policy.method,
        quorum=fraction(policy.quorum),
        threshold=fraction(policy.threshold),
        threshold_of=threshold_basis(policy),
        veto=policy.veto or policy.method == "consent",
        veto_override=fraction(policy.veto_override) if policy.veto_override else None,
        seats=policy.seats,
        budget=policy.budget,
        credits=policy.credits,
        max_approvals=policy.max_approvals,
        score_max=policy.score_max,
        dots=policy.dots,
        tie_break=policy.tie_break,
        seed=seed,
    )


def delegations_at(
    changes: Sequence[tuple[int, str, str, str | None]], ts: int
) -> dict[tuple[str, str], str]:
    """The delegations in force just before `ts`: the changes dated earlier, in order."""
    found: dict[tuple[str, str], str] = {}
    for when, member, kind, to in changes:
        if when >= ts:
            continue
        if to is None:
            found.pop((member, kind), None)
        else:
            found[(member, kind)] = to
    return found


def in_force(proposal: Proposal, state: Authority) -> dict[tuple[str, str], str]:
    """The delegations a proposal counts: those dated before its window ended, so nobody
    delegates a late vote once the ballots are known."""
    return delegations_at(state.delegation_log, proposal.closes_at)


def delegate_of(delegations: Mapping[tuple[str, str], str], member: str, kind: str) -> str | None:
    """Whom `member` delegates decisions of `kind` to: a delegation for that kind, or else
    one for every kind (`*`)."""
    return delegations.get((member, kind)) or delegations.get((member, "*"))


def represented_by(
    proposal: Proposal, delegations: Mapping[tuple[str, str], str], member: str
) -> str | None:
    """Whose ballot counts for `member`: their own, or the first voter down their chain of
    delegates. A chain that loops or ends without a ballot counts for nothing."""
    seen = {member}
    current = member
    while current not in proposal.ballots:
        if proposal.policy is None or not proposal.policy.delegation:
            return None
        nxt = delegate_of(delegations, current, proposal.kind)
        if nxt is None or nxt in seen:
            return None
        seen.add(nxt)
        current = nxt
    return current


def casts(proposal: Proposal, delegations: Mapping[tuple[str, str], str]) -> list[Cast]:
    """The ballots that count, one per eligible member with weight (own or delegated), in a
    fixed order. A member's own vote always overrides their delegate's."""
    counted: list[Cast] = []
    for member in sorted(proposal.eligible):
        weight = proposal.weight_of(member)
        voter = represented_by(proposal, delegations, member)
        if voter is not None and weight > 0:
            counted.append(Cast(member, weight, proposal.ballots[voter].content))
    return counted


def eligible_weight(proposal: Proposal) -> int:
    return sum(proposal.weight_of(member) for member in proposal.eligible)


def proposals_of(state: Authority) -> Mapping[str, Proposal]:
    """The proposals of a space's authority, as this domain's rules keep them."""
    return cast("Mapping[str, Proposal]", state.proposals)


def count(proposal: Proposal, delegations: Mapping[tuple[str, str], str]) -> Tally:
    """The result the proposal's method gives over the ballots that count right now."""
    return tally(
        proposal.rules, proposal.options, casts(proposal, delegations), eligible_weight(proposal)
    )


def at_close(log: SpaceLog, proposal_id: str) -> tuple[Proposal, Mapping[tuple[str, str], str]]:
    """A closed proposal as its close saw it, with the delegations then in force: what the
    close's outcome was checked against."""
    state = log.authority
    closed = proposals_of(state).get(proposal_id) if state else None
    if closed is None or closed.closed_by is None or closed.outcome is None:
        raise P2PError("proposal_not_closed", "only a closed proposal can be recounted", 409)
    before = log.state_before(closed.closed_by)
    as_then = proposals_of(before)[proposal_id]
    return as_then, in_force(as_then, before)


def count_at_close(log: SpaceLog, proposal_id: str) -> tuple[Proposal, Tally]:
    """The count of the ballots in a close's causal past, with the proposal as it saw it."""
    as_then, delegations = at_close(log, proposal_id)
    return as_then, count(as_then, delegations)


def tally_figures(proposal: Proposal, result: Tally) -> dict[str, Any]:
    """A JSON-friendly record of a count, for the API, the pages and `recount`."""
    return {
        "method": result.method,
        "outcome": "passed" if result.passed else "rejected",
        "winners": list(result.winners),
        "tie": result.tie,
        "tied": list(result.tied),
        "reason": result.reason,
        "figures": dict(result.figures),
        "eligible_weight": eligible_weight(proposal),
    }


def options_of(raw: Sequence[Mapping[str, Any]]) -> tuple[Option, ...]:
    return tuple(Option(o["id"], o.get("label", ""), o.get("cost")) for o in raw)
