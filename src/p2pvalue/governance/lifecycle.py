"""Proposals, ballots and delegations as governance events: who may emit each, and its effect.

`CHECKS[type](action, state)` returns None or the reason an event is refused; `EFFECTS[type]`
returns the authority after it. Both are pure and see only the authority of the event's
causal past, which holds exactly the ballots in that past: so the close of a proposal counts
exactly the ballots its author had seen, and every node that recounts gets the same result.
`RULES` hands them to the log, with what it must know of a proposal's lifecycle steps and
of the revocation a passed proposal's close may carry out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from p2pvalue.events.authority import (
    Action,
    Authority,
    Check,
    ContentOf,
    Effect,
    Rules,
    timekeepers,
)
from p2pvalue.events.canonical import digest
from p2pvalue.governance.enact import action_problem, decision_policy, enact
from p2pvalue.governance.methods import check_ballot, decided_early
from p2pvalue.governance.methods.meeting import meeting_time
from p2pvalue.governance.proposals import (
    DRAFT,
    ENACTED,
    OPEN,
    REJECTED,
    WITHDRAWN,
    Ballot,
    Proposal,
    casts,
    count,
    delegate_of,
    eligible_weight,
    in_force,
    options_of,
    proposals_of,
)
from p2pvalue.governance.types import (
    ACTION_KINDS,
    EVERYONE,
    WEIGHT_SCALE,
    DecisionPolicy,
    fraction,
    is_binary,
)


def kind_of(content: Mapping[str, Any]) -> str:
    """The decision kind of a proposal: fixed by its action, or named for a text decision."""
    action_type: str = content["action"]["type"]
    return ACTION_KINDS.get(action_type) or content.get("kind") or "text"


def commitment_of(ballot: Mapping[str, Any], salt: str) -> str:
    """What a secret ballot commits to: the b64u SHA-256 of canonical {ballot, salt}."""
    return digest({"ballot": dict(ballot), "salt": salt})


def eligible_voters(state: Authority, voters: str) -> frozenset[str]:
    """The members who may vote under a policy naming `voters` (a role, or every member)."""
    return frozenset(
        did
        for did in state.members
        if state.is_member(did) and (voters == EVERYONE or voters in state.roles_of(did))
    )


# --- checks -----------------------------------------------------------------------------


def _check_create(action: Action, state: Authority) -> str | None:
    if not state.is_member(action.author):
        return "not_a_member"
    content = action.content
    options = content.get("options") or []
    weights = None if content.get("draft") else content.get("weights") or {}
    return _opening_problem(
        state, action.author, kind_of(content), content["action"], options, weights
    )


def _opening_problem(
    state: Authority,
    author: str,
    kind: str,
    action: Mapping[str, Any],
    options: Sequence[Mapping[str, Any]],
    weights: Mapping[str, int] | None,
) -> str | None:
    """Why a proposal could not be made (or opened, when `weights` is not None) under the
    charter in `state`: checked again when a draft opens, since the charter may have
    changed in between."""
    policy = decision_policy(state.charter, kind, action)
    if policy is None:
        return "no_decision_policy"
    if policy.proposers != EVERYONE and policy.proposers not in state.roles_of(author):
        return "not_a_proposer"
    if is_binary(policy.method) and options:
        return "options_need_choice_method"
    if not is_binary(policy.method) and not options:
        return "choice_method_needs_options"
    if policy.method in ("dot", "equal_shares") and any(o.get("cost") is None for o in options):
        return "option_needs_cost"
    if policy.method == "meeting" and any(meeting_time(o["id"]) is None for o in options):
        return "option_not_a_time"
    problem = action_problem(state, action, options)
    if problem is not None or weights is None:
        return problem
    return _weights_problem(state, policy, weights)


def _weights_problem(
    state: Authority, policy: DecisionPolicy, weights: Mapping[str, int]
) -> str | None:
    """Reputation weights name every eligible voter, sum to exactly WEIGHT_SCALE and keep
    each voter within the policy's cap (to a part per million of rounding)."""
    if policy.weight == "equal":
        return "weights_not_used" if weights else None
    if not weights:
        return "weights_required"
    if set(weights) != eligible_voters(state, policy.voters) or min(weights.values()) < 0:
        return "weights_for_non_voters"
    if sum(weights.values()) != WEIGHT_SCALE:
        return "weights_not_normalised"
    # A cap holds only when enough voters have any weight to share it (see vote_weights).
    cap = fraction(policy.weight_cap) if policy.weight_cap else None
    holders = sum(1 for weight in weights.values() if weight > 0)
    if cap is not None and holders * cap >= 1 and max(weights.values()) > cap * WEIGHT_SCALE + 1:
        return "weight_above_cap"
    return None


def _existing(action: Action, state: Authority) -> tuple[Proposal | None, str | None]:
    proposal = proposals_of(state).get(action.content["proposal"])
    if proposal is None:
        return None, "unknown_proposal"
    if not state.is_member(action.author):
        return None, "not_a_member"
    return proposal, None


def _check_open(action: Action, state: Authority) -> str | None:
    proposal, problem = _existing(action, state)
    if proposal is None:
        return problem
    if proposal.status != DRAFT:
        return "proposal_not_draft"
    if action.author != proposal.author:
        return "not_the_proposer"
    options = [option.__dict__ for option in proposal.options]
    weights = action.content.get("weights") or {}
    return _opening_problem(state, action.author, proposal.kind, proposal.action, options, weights)


def _check_withdraw(action: Action, state: Authority) -> str | None:
    proposal, problem = _existing(action, state)
    if proposal is None:
        return problem
    if action.author != proposal.author:
        return "not_the_proposer"
    return None if proposal.status in (DRAFT, OPEN) else "proposal_not_open"


def _voting(action: Action, state: Authority, secret: bool) -> tuple[Proposal | None, str | None]:
    """The open proposal an in-window ballot by an eligible voter is for, or the refusal."""
    proposal, problem = _existing(action, state)
    if proposal is None or proposal.policy is None:
        return None, problem or "proposal_not_open"
    if proposal.status != OPEN:
        return None, "proposal_not_open"
    if proposal.policy.secret != secret:
        return None, "ballot_is_secret" if proposal.policy.secret else "ballot_not_secret"
    if action.ts < proposal.opened_ts:
        return None, "voting_not_open"
    if proposal.witnessed is not None and action.ts >= proposal.closes_at:
        return None, "voting_closed"
    if action.author not in proposal.eligible:
        return None, "not_eligible"
    return proposal, None


def _check_cast(action: Action, state: Authority) -> str | None:
    proposal, problem = _voting(action, state, secret=False)
    if proposal is None:
        return problem
    return check_ballot(proposal.rules, proposal.options, action.content["ballot"])


def _check_commit(action: Action, state: Authority) -> str | None:
    proposal, problem = _voting(action, state, secret=True)
    if proposal is not None and proposal.ballots:
        return "reveals_started"  # whoever has seen a revealed ballot may not commit one now
    return problem


def _check_reveal(action: Action, state: Authority) -> str | None:
    proposal, problem = _existing(action, state)
    if proposal is None or proposal.policy is None:
        return problem or "proposal_not_open"
    if proposal.status != OPEN or not proposal.policy.secret:
        return "proposal_not_open" if proposal.status != OPEN else "ballot_not_secret"
    if proposal.witnessed is None or action.ts < proposal.closes_at:
        return "reveal_too_early"
    if action.ts >= proposal.reveals_until:
        return "reveal_closed"
    committed = proposal.commitments.get(action.author)
    if committed is None:
        return "no_commitment"
    ballot, salt = action.content["ballot"], action.content["salt"]
    if commitment_of(ballot, salt) != committed:
        return "reveal_mismatch"
    return check_ballot(proposal.rules, proposal.options, ballot)


def _check_delegate(action: Action, state: Authority) -> str | None:
    if not state.is_member(action.author):
        return "not_a_member"
    kind, to = action.content["kind"], action.content["to"]
    if to == action.author:
        return "self_delegation"
    if not state.is_member(to):
        return "delegate_not_a_member"
    current: str | None = to
    seen: set[str] = set()
    while current is not None and current not in seen:
        if current == action.author:
            return "delegation_loop"
        seen.add(current)
        current = delegate_of(state.delegations, current, kind)
    return None


def _check_undelegate(action: Action, state: Authority) -> str | None:
    if not state.is_member(action.author):
        return "not_a_member"
    found = (action.author, action.content["kind"]) in state.delegations
    return None if found else "no_delegation"


def _check_close(action: Action, state: Authority) -> str | None:
    proposal, problem = _existing(action, state)
    if proposal is None or proposal.policy is None:
        return problem or "proposal_not_open"
    if proposal.status != OPEN:
        return "proposal_not_open"
    if not may_close_early(proposal):
        if proposal.witnessed is None or action.ts < proposal.reveals_until:
            return "window_open"
        if action.author not in timekeepers(state):
            return "not_a_timekeeper"
    result = count(proposal, in_force(proposal, state))
    outcome = "passed" if result.passed else "rejected"
    claimed = (action.content["outcome"], tuple(action.content.get("winners") or ()))
    return None if claimed == (outcome, result.winners) else "outcome_mismatch"


def may_close_early(proposal: Proposal) -> bool:
    """Whether the proposal may close before its window ends: its policy lets it close once
    every eligible voter has voted (`all_voted`), or allows early close and no ballot still
    to come could change the outcome (Aragon's early execution). Only direct ballots are
    final: delegated weight is outstanding, since a delegator may still vote."""
    assert proposal.policy is not None
    if proposal.policy.secret:
        return False
    if proposal.policy.close_when_all_voted and all_voted(proposal):
        return True
    if not proposal.policy.early_close:
        return False
    counted = casts(proposal, {})
    return decided_early(proposal.rules, proposal.options, counted, eligible_weight(proposal))


def all_voted(proposal: Proposal) -> bool:
    """Whether every voter the proposal froze as eligible has cast a ballot of their own (a
    delegate's ballot does not do: the delegator may still vote and override it)."""
    return bool(proposal.eligible) and proposal.eligible <= proposal.ballots.keys()


def _check_tick(action: Action, state: Authority) -> str | None:
    return None if action.author in timekeepers(state) else "not_a_timekeeper"


CHECKS: dict[str, Check] = {
    "clock.tick": _check_tick,
    "proposal.create": _check_create,
    "proposal.open": _check_open,
    "proposal.withdraw": _check_withdraw,
    "proposal.close": _check_close,
    "vote.cast": _check_cast,
    "vote.commit": _check_commit,
    "vote.reveal": _check_reveal,
    "delegation.set": _check_delegate,
    "delegation.revoke": _check_undelegate,
}

# --- effects ----------------------------------------------------------------------------


def _with(state: Authority, proposal: Proposal) -> Authority:
    return replace(state, proposals={**proposals_of(state), proposal.id: proposal})


def _opened(state: Authority, proposal: Proposal, ts: int, weights: Any) -> Proposal:
    policy = decision_policy(state.charter, proposal.kind, proposal.action)
    assert policy is not None
    return replace(
        proposal,
        status=OPEN,
        policy=policy,
        opened_ts=ts,
        eligible=eligible_voters(state, policy.voters),
        weights=dict(weights or {}),
    )


def _create(state: Authority, action: Action) -> Authority:
    content = action.content
    proposal = Proposal(
        id=action.id,
        author=action.author,
        kind=kind_of(content),
        title=content["title"],
        body=content.get("body", ""),
        action=content["action"],
        options=options_of(content.get("options") or []),
        created_ts=action.ts,
    )
    if not content.get("draft"):
        proposal = _opened(state, proposal, action.ts, content.get("weights"))
    return _with(state, proposal)


def _open(state: Authority, action: Action) -> Authority:
    proposal = proposals_of(state)[action.content["proposal"]]
    if proposal.status != DRAFT:
        return state
    return _with(state, _opened(state, proposal, action.ts, action.content.get("weights")))


def _withdraw(state: Authority, action: Action) -> Authority:
    proposal = proposals_of(state)[action.content["proposal"]]
    if proposal.status not in (DRAFT, OPEN):
        return state
    return _with(state, replace(proposal, status=WITHDRAWN, closed_ts=action.ts))


def _ballot(state: Authority, action: Action) -> Authority:
    proposal = proposals_of(state)[action.content["proposal"]]
    if proposal.status != OPEN:
        return state  # concurrent with the close: valid, but not counted by it
    ballot = Ballot(action.content["ballot"], action.id, action.ts)
    return _with(state, replace(proposal, ballots={**proposal.ballots, action.author: ballot}))


def _commit(state: Authority, action: Action) -> Authority:
    proposal = proposals_of(state)[action.content["proposal"]]
    if proposal.status != OPEN:
        return state
    commitments = {**proposal.commitments, action.author: action.content["commitment"]}
    return _with(state, replace(proposal, commitments=commitments))


def _delegate(state: Authority, action: Action) -> Authority:
    key = (action.author, action.content["kind"])
    change = (action.ts, *key, action.content["to"])
    return replace(
        state,
        delegations={**state.delegations, key: action.content["to"]},
        delegation_log=(*state.delegation_log, change),
    )


def _undelegate(state: Authority, action: Action) -> Authority:
    key = (action.author, action.content["kind"])
    return replace(
        state,
        delegations={k: v for k, v in state.delegations.items() if k != key},
        delegation_log=(*state.delegation_log, (action.ts, *key, None)),
    )


def _close(state: Authority, action: Action) -> Authority:
    """Record the outcome the close states (checked against its causal past's ballots when
    it was judged) and carry out a passed proposal's action on the state as it is now."""
    proposal = proposals_of(state)[action.content["proposal"]]
    if proposal.status != OPEN:
        return state
    winners = tuple(action.content.get("winners") or ())
    status, note = REJECTED, ""
    if action.content["outcome"] == "passed":
        state, problem = enact(state, proposal, winners, action)
        status, note = (ENACTED, "") if problem is None else (REJECTED, f"not_applicable:{problem}")
    closed = replace(
        proposal,
        status=status,
        closed_by=action.id,
        closed_ts=action.ts,
        outcome=action.content["outcome"],
        winners=winners,
        note=note,
    )
    return _with(state, closed)


def _tick(state: Authority, action: Action) -> Authority:
    """Start the window of every open proposal the tick lists that no tick started yet."""
    started = {
        pid: replace(proposals_of(state)[pid], witnessed=action.ts)
        for pid in action.content["events"]
        if pid in proposals_of(state)
        and proposals_of(state)[pid].status == OPEN
        and proposals_of(state)[pid].witnessed is None
    }
    return replace(state, proposals={**proposals_of(state), **started}) if started else state


EFFECTS: dict[str, Effect] = {
    "clock.tick": _tick,
    "proposal.create": _create,
    "proposal.open": _open,
    "proposal.withdraw": _withdraw,
    "proposal.close": _close,
    "vote.cast": _ballot,
    "vote.commit": _commit,
    "vote.reveal": _ballot,
    "delegation.set": _delegate,
    "delegation.revoke": _undelegate,
}


def _carried(close: Action, content_of: ContentOf) -> Mapping[str, Any] | None:
    """The action a passed proposal's close carries out: the proposal's."""
    proposal = content_of(close.content.get("proposal", ""))
    if close.content.get("outcome") != "passed" or proposal is None:
        return None
    action: Mapping[str, Any] = proposal.get("action") or {}
    return action


def _ballots_seen(close: Action, state: Authority) -> int:
    """Of concurrent closes the one that saw the most ballots stands (see `log.py`)."""
    proposal = proposals_of(state).get(close.content["proposal"])
    return -len(proposal.ballots) if proposal else 0


STEPS = {"proposal.open": "proposal", "proposal.withdraw": "proposal", "proposal.close": "proposal"}
RULES = Rules(
    checks=CHECKS,
    effects=EFFECTS,
    steps=STEPS,
    precedence={"proposal.close": _ballots_seen},
    carries={"proposal.close": _carried},
)
