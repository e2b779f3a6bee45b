"""The founding charter: membership policy and what each role may do.

This is the minimal charter the log enforces; governance extends it. A role lists the event
types its holders may emit (`"*"` for all), and the permissions that are not events
(`doc.write`: edit live documents; `replica.add`: have this node replicate the space with
another node). Joining, requesting to join and leaving are
governed by the membership policy rather than by roles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from p2pvalue.accounting.types import DEFAULT_KINDS, KIND_PATTERN, ValuePolicy
from p2pvalue.collab.types import COLLABORATING, PERMISSIONS
from p2pvalue.errors import EventError
from p2pvalue.events.types import EVENT_TYPES, ROLE_PATTERN, CharterContent, parse_content
from p2pvalue.governance.types import EVERYONE, DecisionPolicy

ROLE_NAME = re.compile(ROLE_PATTERN)
KIND_NAME = re.compile(KIND_PATTERN)
MEMBERSHIP_POLICIES = ("open", "approval", "invite")
REPLICA_ADD = "replica.add"
RIGHTS = PERMISSIONS | {REPLICA_ADD}  # what a role may be given besides event types


@dataclass(frozen=True)
class Charter:
    membership: str
    roles: Mapping[str, frozenset[str]]
    founder_roles: frozenset[str]
    member_roles: frozenset[str]
    value: ValuePolicy | None = None
    decisions: Mapping[str, DecisionPolicy] = field(default_factory=dict)
    timekeepers: tuple[str, ...] = ()  # empty: the founder keeps time

    def allows(self, roles: frozenset[str], event_type: str) -> bool:
        """Whether holding `roles` permits emitting `event_type`."""
        for role in roles:
            allowed = self.roles.get(role, frozenset())
            if "*" in allowed or event_type in allowed:
                return True
        return False

    def policy_for(self, kind: str) -> DecisionPolicy | None:
        """The decision policy for `kind`, or the `default` one, or None."""
        return self.decisions.get(kind) or self.decisions.get("default")

    def to_content(self) -> dict[str, Any]:
        return {
            "membership": self.membership,
            "roles": {name: sorted(types) for name, types in sorted(self.roles.items())},
            "founder_roles": sorted(self.founder_roles),
            "member_roles": sorted(self.member_roles),
            **({"value": self.value.model_dump(exclude_none=True)} if self.value else {}),
            **(
                {"decisions": {kind: policy.model_dump(exclude_none=True)
                               for kind, policy in sorted(self.decisions.items())}}
                if self.decisions else {}
            ),
            **({"timekeepers": list(self.timekeepers)} if self.timekeepers else {}),
        }  # fmt: skip


def charter_from_content(content: Mapping[str, Any]) -> Charter:
    """A checked charter: roles named consistently and event types this node knows."""
    parsed = parse_content("space.create", {"name": "-", "charter": content}).charter  # type: ignore[attr-defined]
    return _checked(parsed)


def _checked(parsed: CharterContent) -> Charter:
    roles = {name: frozenset(types) for name, types in parsed.roles.items()}
    for name, types in roles.items():
        if not ROLE_NAME.match(name):
            raise EventError("invalid_charter", f"role name {name!r} is not [a-z][a-z0-9_-]*")
        unknown = {t for t in types if t != "*" and t not in EVENT_TYPES and t not in RIGHTS}
        if unknown:
            raise EventError("invalid_charter", f"role {name!r} names unknown types {unknown}")
    for listed in (parsed.founder_roles, parsed.member_roles):
        missing = set(listed) - set(roles)
        if missing:
            raise EventError("invalid_charter", f"roles {sorted(missing)} are not defined")
    if parsed.value is not None:
        _check_value_policy(parsed.value, roles)
    _check_decisions(parsed.decisions, roles)
    return Charter(
        membership=parsed.membership,
        roles=roles,
        founder_roles=frozenset(parsed.founder_roles),
        member_roles=frozenset(parsed.member_roles),
        value=parsed.value,
        decisions=dict(parsed.decisions),
        timekeepers=tuple(parsed.timekeepers or ()),
    )


def _check_decisions(decisions: Mapping[str, DecisionPolicy], roles: Mapping[str, Any]) -> None:
    """Every role a policy names exists, and if the charter has decision policies at all,
    one of them governs amending the charter itself (else no one could ever amend it)."""
    for kind, policy in decisions.items():
        if not ROLE_NAME.match(kind):
            raise EventError("invalid_charter", f"decision kind {kind!r} is not [a-z][a-z0-9_-]*")
        for who in (policy.voters, policy.proposers):
            if who != EVERYONE and who not in roles:
                problem = f"decisions.{kind} names undefined role {who!r}"
                raise EventError("invalid_charter", problem)
    if decisions and "charter" not in decisions and "default" not in decisions:
        raise EventError("invalid_charter", "no decision policy governs amending the charter")


def _check_value_policy(policy: ValuePolicy, roles: Mapping[str, frozenset[str]]) -> None:
    if len(set(policy.kinds)) != len(policy.kinds) or not all(
        KIND_NAME.match(kind) for kind in policy.kinds
    ):
        raise EventError("invalid_charter", "value.kinds are distinct [a-z][a-z0-9_]* names")
    role = policy.acceptance.role
    if role is not None and role not in roles:
        raise EventError("invalid_charter", f"value.acceptance.role {role!r} is not defined")
    disputes = getattr(policy.disputes, "role", None)
    if disputes is not None and disputes not in roles:
        raise EventError("invalid_charter", f"value.disputes.role {disputes!r} is not defined")
    # The equation is part of the charter: one that cannot value every kind is refused here.
    from p2pvalue.accounting.equation import charter_equation

    charter_equation(policy.kinds, policy.equation)


def default_charter(membership: str = "open") -> dict[str, Any]:
    """A sensible starting charter: admins may do anything; members post, invite, claim and
    review contributions, and run projects, tasks and threads; a claim is accepted with one
    approval; payouts are BALANCED; proposals pass by simple majority in a week (early once
    decided), and the charter changes by two-thirds over two weeks."""
    if membership not in MEMBERSHIP_POLICIES:
        raise EventError("invalid_charter", f"membership is one of {MEMBERSHIP_POLICIES}")
    contributing = [
        "contribution.claim",
        "contribution.review",
        "contribution.close",
        "contribution.endorse",
        "alias.claim",
        "bounty.pay",
    ]
    return {
        "membership": membership,
        "roles": {
            "admin": ["*"],
            "moderator": [
                "member.admit",
                "member.invite",
                "member.remove",
                "post.create",
                "alias.confirm",
            ],
            "member": ["post.create", "member.invite", *contributing, *COLLABORATING],
        },
        "founder_roles": ["admin", "member"],
        "member_roles": ["member"],
        "value": {
            "kinds": list(DEFAULT_KINDS),
            "acceptance": {"approvals": 1},
            "payout_policy": "BALANCED",
        },
        "decisions": {
            "default": {"method": "majority", "window_hours": 168, "early_close": True},
            "charter": {"method": "majority", "threshold": "2/3", "window_hours": 336},
        },
    }
