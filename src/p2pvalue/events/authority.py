"""Who may do what: the membership and role state folded from governance events.

`authorize(event, state, rules)` and `apply(state, event, rules)` are pure: the log calls
them with the state of an event's causal past (see `log.py`). The kernel knows membership
and roles; a domain adds its own rules (governance: proposals, ballots, delegations) as a
`Rules` value that whoever builds a log passes in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from p2pvalue.events.charter import Charter, charter_from_content
from p2pvalue.events.types import RANK_ORDINARY, rank

MEMBER = "member"
REQUESTED = "requested"
INVITED = "invited"
DECLINED = "declined"
LEFT = "left"
REMOVED = "removed"
REVOCATIONS = frozenset({"member.remove", "role.revoke"})


@dataclass(frozen=True, slots=True)
class Membership:
    status: str
    roles: frozenset[str] = frozenset()
    since: str = ""


@dataclass(frozen=True)
class Authority:
    """The governance state of a space at some point of its history."""

    space: str
    name: str
    creator: str
    charter: Charter
    members: Mapping[str, Membership] = field(default_factory=dict)
    # Kept by the governance domain's rules, which read it typed (`proposals_of`): the
    # kernel only carries it from state to state.
    proposals: Mapping[str, Any] = field(default_factory=dict)
    delegations: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # Every delegation change as (ts, member, kind, delegate or None), in the space's order:
    # a proposal counts the delegations in force when its window ended, not later ones.
    delegation_log: tuple[tuple[int, str, str, str | None], ...] = ()
    history: tuple[CharterChange, ...] = ()

    def roles_of(self, did: str) -> frozenset[str]:
        found = self.members.get(did)
        return found.roles if found and found.status == MEMBER else frozenset()

    def is_member(self, did: str) -> bool:
        found = self.members.get(did)
        return found is not None and found.status == MEMBER


@dataclass(frozen=True, slots=True)
class CharterChange:
    """A charter in force from `ts`, set by the event `event` (the founding, or the close
    of a proposal that amended it)."""

    event: str
    ts: int
    charter: Charter


@dataclass(frozen=True, slots=True)
class Action:
    """What authorization needs to know of an event."""

    id: str
    type: str
    author: str
    content: Mapping[str, Any]
    ts: int = 0


@dataclass(frozen=True)
class AuthorizedEvent:
    """An accepted event with the authority of its causal past: what a domain's fold takes."""

    id: str
    type: str
    author: str
    ts: int
    content: Mapping[str, Any]
    authority: Authority


Check = Callable[[Action, Authority], str | None]
Effect = Callable[[Authority, Action], Authority]
# The content of an event of the log by id (None: not there, or not kept).
ContentOf = Callable[[str], Mapping[str, Any] | None]
Carries = Callable[[Action, ContentOf], Mapping[str, Any] | None]
Precedence = Callable[[Action, Authority], int]
V = TypeVar("V")
_MemberEffect = Callable[[dict[str, Membership], Action, Charter], None]


@dataclass(frozen=True)
class Rules:
    """The authority rules domains add to the kernel's, per event type.

    `checks`: who may emit it (None, or the reason not); `effects`: the state after it.
    What the log must know besides: `steps` are the steps of a lifecycle (type → the
    content field naming its subject), of which only one of several concurrent ones on a
    subject stands, the one with the lowest `precedence` (default 0, then the order);
    `carries` gives the action an event carries out with the community's authority (a
    passed proposal's close), so that a revocation it carries wins like any other.
    """

    checks: Mapping[str, Check] = field(default_factory=dict)
    effects: Mapping[str, Effect] = field(default_factory=dict)
    steps: Mapping[str, str] = field(default_factory=dict)
    precedence: Mapping[str, Precedence] = field(default_factory=dict)
    carries: Mapping[str, Carries] = field(default_factory=dict)

    def __add__(self, other: Rules) -> Rules:
        """Both domains' rules; two domains may not rule the same event type."""
        return Rules(
            _merged(self.checks, other.checks),
            _merged(self.effects, other.effects),
            _merged(self.steps, other.steps),
            _merged(self.precedence, other.precedence),
            _merged(self.carries, other.carries),
        )


def _merged(one: Mapping[str, V], other: Mapping[str, V]) -> dict[str, V]:
    both = set(one) & set(other)
    if both:
        raise ValueError(f"two domains rule {sorted(both)}")
    return {**one, **other}


def founding(space: str, action: Action) -> Authority:
    """The state right after a `space.create`."""
    charter = charter_from_content(action.content["charter"])
    founder = Membership(MEMBER, charter.founder_roles, action.id)
    return Authority(
        space,
        action.content["name"],
        action.author,
        charter,
        {action.author: founder},
        history=(CharterChange(action.id, action.ts, charter),),
    )


def authorize(action: Action, state: Authority, rules: Rules) -> str | None:
    """None if the charter in `state` and `rules` allow `action`, else the reason not."""
    if action.type == "space.create":
        return "space_exists"
    check = rules.checks.get(action.type) or _CHECKS.get(action.type, _check_ordinary)
    return check(action, state)


def checks_author_only(type_name: str, rules: Rules) -> bool:
    """Whether `authorize` decides an event of this type by its author and type alone, the
    same for all such events against one state: the kernel's check of ordinary activity."""
    checked = type_name in rules.checks or type_name in _CHECKS or type_name == "space.create"
    return not checked


def apply(state: Authority, action: Action, rules: Rules) -> Authority:
    """The state after an authorized governance `action`; ordinary actions change nothing."""
    if rank(action.type) == RANK_ORDINARY:
        return state
    effect = rules.effects.get(action.type)
    if effect is not None:
        return effect(state, action)
    mutate = _EFFECTS.get(action.type)
    if mutate is None:
        return state
    members = dict(state.members)
    mutate(members, action, state.charter)
    return replace(state, members=members)


def timekeepers(state: Authority) -> frozenset[str]:
    """The members whose clock a space's windows are measured by: those its charter names
    (the founder, by default) who are still members; if none is, whoever holds the roles the
    founder was given, so that time never stops in a space."""
    named = state.charter.timekeepers or (state.creator,)
    keepers = frozenset(did for did in named if state.is_member(did))
    if keepers:
        return keepers
    founders = state.charter.founder_roles
    return frozenset(did for did in state.members if state.roles_of(did) & founders)


def target_of(action: Action) -> str | None:
    """The member whose rights a revocation removes, or None for other actions."""
    if action.type not in REVOCATIONS:
        return None
    target: str = action.content["member"]
    return target


def _permitted(action: Action, state: Authority) -> str | None:
    if not state.is_member(action.author):
        return "not_a_member"
    if not state.charter.allows(state.roles_of(action.author), action.type):
        return f"role_lacks_permission:{action.type}"
    return None


def _check_ordinary(action: Action, state: Authority) -> str | None:
    return _permitted(action, state)


def _check_join(action: Action, state: Authority) -> str | None:
    current = state.members.get(action.author)
    if current and current.status == MEMBER:
        return "already_a_member"
    policy = state.charter.membership
    if current and current.status == INVITED:
        return None
    if current and current.status == REMOVED:
        return "removed_members_need_invitation"
    if policy == "open":
        return None
    return "invitation_required" if policy == "invite" else "approval_required"


def _check_request(action: Action, state: Authority) -> str | None:
    current = state.members.get(action.author)
    if current and current.status in (MEMBER, REQUESTED):
        return "already_a_member" if current.status == MEMBER else "already_requested"
    return None if state.charter.membership == "approval" else "requests_not_used"


def _check_decline(action: Action, state: Authority) -> str | None:
    """Whoever may admit a request may decline it: the charter's right is `member.admit`."""
    if not state.is_member(action.author):
        return "not_a_member"
    if not state.charter.allows(state.roles_of(action.author), "member.admit"):
        return "role_lacks_permission:member.admit"
    return _target_status(REQUESTED, "no_pending_request")(action, state)


def _check_leave(action: Action, state: Authority) -> str | None:
    return None if state.is_member(action.author) else "not_a_member"


def _check_space_key(action: Action, state: Authority) -> str | None:
    """A member shares or rotates the space key, and only with members and invitees: a key
    wrapped for anyone else would open the space to them."""
    if not state.is_member(action.author):
        return "not_a_member"
    for did in action.content["wraps"]:
        found = state.members.get(did)
        if found is None or found.status not in (MEMBER, INVITED):
            return "wrapped_for_non_member"
    return None


def _check_was_member(action: Action, state: Authority) -> str | None:
    """Whoever was ever part of the space, members who left or were removed too: the right
    to have one's content erased does not end with membership."""
    return None if action.author in state.members else "not_a_member"


def _target_status(status: str | None, problem: str) -> Check:
    """Whether the target member is in `status` (None: anything but a member)."""

    def check(action: Action, state: Authority) -> str | None:
        target = state.members.get(action.content["member"])
        have = target.status if target else None
        if status is None:
            return problem if have == MEMBER else None
        return None if have == status else problem

    return check


def _target_role(granting: bool) -> Check:
    def check(action: Action, state: Authority) -> str | None:
        role = action.content["role"]
        if role not in state.charter.roles:
            return "unknown_role"
        target = action.content["member"]
        if not state.is_member(target):
            return "target_not_a_member"
        held = role in state.roles_of(target)
        if granting and held:
            return "role_already_held"
        return None if granting or held else "role_not_held"

    return check


def _permitted_and(target: Check) -> Check:
    def check(action: Action, state: Authority) -> str | None:
        return _permitted(action, state) or target(action, state)

    return check


# What must hold of the target, whoever acts: checked again when a passed proposal enacts
# the change with the community's authority instead of a role's.
_TARGET_CHECKS: dict[str, Check] = {
    "member.admit": _target_status(None, "already_a_member"),
    "member.invite": _target_status(None, "already_a_member"),
    "member.remove": _target_status(MEMBER, "target_not_a_member"),
    "role.grant": _target_role(granting=True),
    "role.revoke": _target_role(granting=False),
}

_CHECKS: dict[str, Check] = {
    "member.join": _check_join,
    "member.request": _check_request,
    "member.leave": _check_leave,
    "member.home": _check_leave,  # any member says where they live, whatever their roles
    "content.erase": _check_was_member,
    "space.key": _check_space_key,
    "member.admit": _permitted_and(_target_status(REQUESTED, "no_pending_request")),
    "member.invite": _permitted_and(_TARGET_CHECKS["member.invite"]),
    "member.decline": _check_decline,
    "member.remove": _permitted_and(_TARGET_CHECKS["member.remove"]),
    "role.grant": _permitted_and(_TARGET_CHECKS["role.grant"]),
    "role.revoke": _permitted_and(_TARGET_CHECKS["role.revoke"]),
}


def _join(members: dict[str, Membership], action: Action, charter: Charter) -> None:
    members[action.author] = Membership(MEMBER, charter.member_roles, action.id)


def _admit(members: dict[str, Membership], action: Action, charter: Charter) -> None:
    members[action.content["member"]] = Membership(MEMBER, charter.member_roles, action.id)


def _set_status(status: str, on_target: bool) -> _MemberEffect:
    def effect(members: dict[str, Membership], action: Action, charter: Charter) -> None:
        who = action.content["member"] if on_target else action.author
        members[who] = Membership(status, frozenset(), action.id)

    return effect


def _change_role(granting: bool) -> _MemberEffect:
    def effect(members: dict[str, Membership], action: Action, charter: Charter) -> None:
        who = action.content["member"]
        current = members.get(who)
        if current is None:
            return
        role = frozenset({action.content["role"]})
        roles = current.roles | role if granting else current.roles - role
        members[who] = replace(current, roles=roles)

    return effect


_EFFECTS: dict[str, _MemberEffect] = {
    "member.join": _join,
    "member.admit": _admit,
    "member.request": _set_status(REQUESTED, on_target=False),
    "member.invite": _set_status(INVITED, on_target=True),
    "member.decline": _set_status(DECLINED, on_target=True),
    "member.leave": _set_status(LEFT, on_target=False),
    "member.remove": _set_status(REMOVED, on_target=True),
    "role.grant": _change_role(granting=True),
    "role.revoke": _change_role(granting=False),
}


def enact_member_action(state: Authority, action: Action) -> tuple[Authority, str | None]:
    """Apply a membership or role change a passed proposal carries, with the community's
    authority rather than a role's; the reason it no longer applies (the role is already
    held, the member already left, …) otherwise."""
    denied = _TARGET_CHECKS[action.type](action, state)
    if denied is not None:
        return state, denied
    members = dict(state.members)
    _EFFECTS[action.type](members, action, state.charter)
    return replace(state, members=members), None
