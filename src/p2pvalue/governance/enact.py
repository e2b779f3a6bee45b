"""What a proposal's action does to the space, and whether it still can.

A passed proposal acts with the community's authority: amending the charter (an RFC 7396
merge patch over its content), changing the value equation, granting or revoking a role,
admitting or removing a member, electing members to a role. A treasury spend, a dispute's
resolution and a plain text decision change no rights; the ledger and the pages read them
from the log. An action is checked when the proposal is made and again when it would be
enacted: an amendment that leaves the charter invalid, or a role grant to someone who holds
it by then, is not applied and the proposal is rejected with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from p2pvalue.accounting.types import value_policy
from p2pvalue.errors import EventError
from p2pvalue.events.authority import Action, Authority, CharterChange, enact_member_action
from p2pvalue.events.charter import Charter, charter_from_content
from p2pvalue.governance.proposals import Proposal
from p2pvalue.governance.types import EVERYONE, DecisionPolicy, fraction, is_binary, policy_for

MEMBER_ACTIONS = ("role.grant", "role.revoke", "member.admit", "member.remove")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: `patch` merged into `target`; a null in the patch removes the key."""
    if not isinstance(patch, Mapping):
        return patch
    merged = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def charter_patch(charter: Charter, action: Mapping[str, Any]) -> dict[str, Any]:
    """The merge patch an amending action applies to the charter's content."""
    if action["type"] == "value.equation":
        return {"value": {"equation": action["equation"]}}
    patch: dict[str, Any] = action["patch"]
    return patch


def decision_policy(
    charter: Charter, kind: str, action: Mapping[str, Any]
) -> DecisionPolicy | None:
    """The policy that decides a proposal of `kind` with `action`.

    Rules about changing rules are entrenched: an amendment that touches the decision policy
    of another kind must also meet that policy's own bar, so the threshold, quorum and window
    are the strictest of the charter policy and every binary policy it amends (a threshold
    of the eligible weight if either counts so; closing once all voted only if both allow).
    """
    policy = policy_for(charter, kind)
    if policy is None or action["type"] != "charter.amend" or not is_binary(policy.method):
        return policy
    touched = (charter_patch(charter, action).get("decisions") or {}).keys()
    for other in (policy_for(charter, name) for name in sorted(touched)):
        if other is not None and is_binary(other.method):
            policy = _stricter(policy, other)
    return policy


def _stricter(policy: DecisionPolicy, other: DecisionPolicy) -> DecisionPolicy:
    def most(a: str, b: str) -> str:
        return a if fraction(a) >= fraction(b) else b

    bases = (policy.threshold_of, other.threshold_of)
    return policy.model_copy(
        update={
            "threshold": most(policy.threshold, other.threshold),
            "quorum": most(policy.quorum, other.quorum),
            "window_hours": max(policy.window_hours, other.window_hours),
            "veto": policy.veto or other.veto,
            # yes of all eligible is never more than yes of the sided votes: the stricter
            "threshold_of": "eligible" if "eligible" in bases else policy.threshold_of,
            "close_when_all_voted": policy.close_when_all_voted and other.close_when_all_voted,
        }
    )


def amended(state: Authority, action: Mapping[str, Any]) -> tuple[Charter | None, str | None]:
    """The charter an amending action would give, or the reason it would be invalid."""
    charter = state.charter
    if action["type"] == "value.equation" and value_policy(charter) is None:
        return None, "value_not_enabled"
    content = merge_patch(charter.to_content(), charter_patch(charter, action))
    try:
        new = charter_from_content(content)
    except EventError as error:
        return None, f"{error.code}:{error.message}"
    now, then = value_policy(new), value_policy(charter)
    changed = now is not None and then is not None and now.equation != then.equation
    if action["type"] == "value.equation" or (
        changed and now is not None and now.equation is not None
    ):
        problem = _equation_follows(charter, new)
        if problem:
            return None, problem
    return new, _amendable(state, new)


def _equation_follows(old: Charter, new: Charter) -> str | None:
    """An equation set anew must follow the old one in version and effective date, so the
    ledger can value past work by the equation in force at its time."""
    from p2pvalue.accounting.equation import charter_equation

    then, now = value_policy(old), value_policy(new)
    if then is None or now is None or now.equation is None or now.equation == then.equation:
        return None
    before = charter_equation(then.kinds, then.equation)
    after = charter_equation(now.kinds, now.equation)
    if after.version <= before.version or after.effective_from <= before.effective_from:
        return "invalid_equation:a new equation has a higher version and a later effective_from"
    return None


def _amendable(state: Authority, charter: Charter) -> str | None:
    """None if someone could still amend `charter`: its charter policy's voters exist."""
    policy = policy_for(charter, "charter")
    if policy is None:
        return "no_one_can_amend:no decision policy governs amending the charter"
    holders = [
        did for did in state.members
        if state.is_member(did)
        and (policy.voters == EVERYONE or policy.voters in state.roles_of(did))
    ]  # fmt: skip
    return None if holders else f"no_one_can_amend:no member holds role {policy.voters!r}"


def action_problem(
    state: Authority, action: Mapping[str, Any], options: Sequence[Mapping[str, Any]]
) -> str | None:
    """None if `action` could be enacted in `state`, else the reason it could not."""
    kind = action["type"]
    if kind in ("charter.amend", "value.equation"):
        return amended(state, action)[1]
    if kind in MEMBER_ACTIONS:
        return enact_member_action(state, _member_action(kind, action, "-", 0))[1]
    if kind == "election":
        if action["role"] not in state.charter.roles:
            return "unknown_role"
        if any(not state.is_member(option["id"]) for option in options):
            return "candidate_not_a_member"
    return None


def enact(
    state: Authority, proposal: Proposal, winners: Sequence[str], close: Action
) -> tuple[Authority, str | None]:
    """The state after the passed `proposal` is carried out by the event `close`."""
    action = proposal.action
    kind = action["type"]
    if kind in ("charter.amend", "value.equation"):
        charter, problem = amended(state, action)
        if charter is None or problem is not None:
            return state, problem
        change = CharterChange(close.id, close.ts, charter)
        return replace(state, charter=charter, history=(*state.history, change)), None
    if kind in MEMBER_ACTIONS:
        return enact_member_action(state, _member_action(kind, action, close.id, close.ts))
    if kind == "election":
        # Ranking methods order every option; only the first `seats` are elected.
        seats = proposal.policy.seats if proposal.policy else 1
        for winner in winners[:seats]:
            grant = {"type": "role.grant", "member": winner, "role": action["role"]}
            state, _ = enact_member_action(
                state, _member_action("role.grant", grant, close.id, close.ts)
            )
    return state, None


def _member_action(kind: str, action: Mapping[str, Any], event: str, ts: int) -> Action:
    content = {"member": action["member"]}
    if "role" in kind:
        content["role"] = action["role"]
    return Action(event, kind, EVERYONE, content, ts)
