"""After the close: what was decided and what happens next, and the follow-up of a decision
in words until it is done (Loomio's outcome statement, Decidim's accountability).

Like the lifecycle, these are pure rules over the authority of an event's causal past:

- `proposal.outcome` {`proposal`, `statement`}: only once the proposal was closed (a
  close is in the statement's causal past), by the proposer or a **facilitator**, a member
  whose role lets them emit `proposal.outcome`. A later statement replaces the earlier one
  (the one last in the space's order stands); every version stays in the log.
- `followup.add` {`proposal`, `title`, `note`?} and `followup.update` {`proposal`,
  `followup`, `status`?, `progress`?, `note`?}: only on a proposal that passed and whose
  action is `text` (the platform applies every other action itself), by the proposer or a
  member whose role lets them emit that event type. What an update leaves out stays; an
  update to `done` without a progress sets it to 100 %.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from p2pvalue.events.authority import Action, Authority, Check, Effect, Rules
from p2pvalue.governance.proposals import ENACTED, FollowUp, Proposal, Statement, proposals_of

MAX_FOLLOW_UPS = 100  # per proposal: a list every member's page shows in full


def may_follow_through(state: Authority, member: str, proposal: Proposal, type: str) -> bool:
    """Whether `member` may emit `type` after `proposal`'s close: its proposer may, and so
    may whoever holds a role the charter lets emit `type` (a facilitator; admins by `*`)."""
    if not state.is_member(member):
        return False
    return member == proposal.author or state.charter.allows(state.roles_of(member), type)


def _closed(action: Action, state: Authority) -> tuple[Proposal | None, str | None]:
    """The closed proposal the action is about, by a member allowed to follow it through."""
    proposal = proposals_of(state).get(action.content["proposal"])
    if proposal is None:
        return None, "unknown_proposal"
    if not state.is_member(action.author):
        return None, "not_a_member"
    if proposal.outcome is None:
        return None, "proposal_not_closed"
    if not may_follow_through(state, action.author, proposal, action.type):
        return None, "not_a_facilitator"
    return proposal, None


def follow_up_problem(proposal: Proposal) -> str | None:
    """Why `proposal` can have no follow-ups: it did not pass, or the platform applied it."""
    if proposal.status != ENACTED:
        return "proposal_not_passed"
    return None if proposal.action.get("type") == "text" else "applied_by_platform"


def _check_statement(action: Action, state: Authority) -> str | None:
    return _closed(action, state)[1]


def _check_add(action: Action, state: Authority) -> str | None:
    proposal, problem = _closed(action, state)
    if proposal is None:
        return problem
    problem = follow_up_problem(proposal)
    if problem is None and len(proposal.followups) >= MAX_FOLLOW_UPS:
        return "too_many_followups"
    return problem


def _check_update(action: Action, state: Authority) -> str | None:
    proposal, problem = _closed(action, state)
    if proposal is None:
        return problem
    found = proposal.followups.get(action.content["followup"])
    return None if found is not None else "unknown_followup"


def _with(state: Authority, proposal: Proposal) -> Authority:
    return replace(state, proposals={**proposals_of(state), proposal.id: proposal})


def _proposal_of(state: Authority, action: Action) -> Proposal:
    return proposals_of(state)[action.content["proposal"]]


def _statement(state: Authority, action: Action) -> Authority:
    proposal = _proposal_of(state, action)
    earlier = proposal.statement.revisions if proposal.statement else 0
    text = action.content["statement"]
    statement = Statement(text, action.author, action.id, action.ts, earlier + 1)
    return _with(state, replace(proposal, statement=statement))


def _add(state: Authority, action: Action) -> Authority:
    proposal = _proposal_of(state, action)
    content = action.content
    item = FollowUp(
        action.id, content["title"], action.author, action.ts, note=content.get("note", "")
    )
    followups = {**proposal.followups, action.id: item}
    return _with(state, replace(proposal, followups=followups))


def _update(state: Authority, action: Action) -> Authority:
    proposal = _proposal_of(state, action)
    item = proposal.followups[action.content["followup"]]
    changed = replace(item, updated_ts=action.ts, **_changes(action.content))
    followups = {**proposal.followups, item.id: changed}
    return _with(state, replace(proposal, followups=followups))


def _changes(content: Any) -> dict[str, Any]:
    """The fields an update sets: those it names; `done` with no progress means 100 %."""
    changes = {name: content[name] for name in ("status", "progress", "note")
               if content.get(name) is not None}  # fmt: skip
    if changes.get("status") == "done" and "progress" not in changes:
        changes["progress"] = 100
    return changes


CHECKS: dict[str, Check] = {
    "proposal.outcome": _check_statement,
    "followup.add": _check_add,
    "followup.update": _check_update,
}
EFFECTS: dict[str, Effect] = {
    "proposal.outcome": _statement,
    "followup.add": _add,
    "followup.update": _update,
}
RULES = Rules(checks=CHECKS, effects=EFFECTS)
