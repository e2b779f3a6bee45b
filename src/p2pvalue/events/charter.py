"""The founding charter: membership policy and what each role may do.

This is the minimal charter the log enforces; the domains extend it with their sections
(`types.CharterSection`: the value policy, the decision policies). A role lists the event
types its holders may emit (`"*"` for all), and the rights that are not events (`doc.write`:
edit live documents; `replica.add`: have this node replicate the space with another node).
Joining, requesting to join and leaving are governed by the membership policy rather than
by roles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from p2pvalue.errors import EventError
from p2pvalue.events.types import ROLE_PATTERN, Catalog, installed

ROLE_NAME = re.compile(ROLE_PATTERN)


@dataclass(frozen=True)
class Charter:
    membership: str
    roles: Mapping[str, frozenset[str]]
    founder_roles: frozenset[str]
    member_roles: frozenset[str]
    # The domains' sections by name (the value policy, the decision policies), as parsed;
    # each domain reads its own typed, through its accessor (`accounting.types.value_policy`).
    sections: Mapping[str, Any] = field(default_factory=dict)
    timekeepers: tuple[str, ...] = ()  # empty: the founder keeps time

    def allows(self, roles: frozenset[str], event_type: str) -> bool:
        """Whether holding `roles` permits emitting `event_type`."""
        for role in roles:
            allowed = self.roles.get(role, frozenset())
            if "*" in allowed or event_type in allowed:
                return True
        return False

    def to_content(self) -> dict[str, Any]:
        return {
            "membership": self.membership,
            "roles": {name: sorted(types) for name, types in sorted(self.roles.items())},
            "founder_roles": sorted(self.founder_roles),
            "member_roles": sorted(self.member_roles),
            **{name: _dumped(value) for name, value in self.sections.items()
               if value is not None and value != {}},
            **({"timekeepers": list(self.timekeepers)} if self.timekeepers else {}),
        }  # fmt: skip


def _dumped(value: Any) -> Any:
    """A section as charter content: models without their unset (None) fields."""
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_none=True)
    if isinstance(value, Mapping):
        return {key: _dumped(item) for key, item in sorted(value.items())}
    return value


def charter_from_content(content: Mapping[str, Any], catalog: Catalog | None = None) -> Charter:
    """A checked charter: roles named consistently and event types this node knows (those
    of `catalog`, by default the installed one), each domain's section checked by it."""
    catalog = catalog or installed()
    parsed = catalog.parse("space.create", {"name": "-", "charter": content}).charter  # type: ignore[attr-defined]
    return _checked(parsed, catalog)


def _checked(parsed: Any, catalog: Catalog) -> Charter:
    roles = {name: frozenset(types) for name, types in parsed.roles.items()}
    for name, types in roles.items():
        if not ROLE_NAME.match(name):
            raise EventError("invalid_charter", f"role name {name!r} is not [a-z][a-z0-9_-]*")
        known = catalog.kinds.keys() | catalog.rights
        unknown = {t for t in types if t != "*" and t not in known}
        if unknown:
            raise EventError("invalid_charter", f"role {name!r} names unknown types {unknown}")
    for listed in (parsed.founder_roles, parsed.member_roles):
        missing = set(listed) - set(roles)
        if missing:
            raise EventError("invalid_charter", f"roles {sorted(missing)} are not defined")
    sections = {section.name: getattr(parsed, section.name) for section in catalog.sections}
    for section in catalog.sections:
        if section.check is not None:
            section.check(sections[section.name], roles)
    return Charter(
        membership=parsed.membership,
        roles=roles,
        founder_roles=frozenset(parsed.founder_roles),
        member_roles=frozenset(parsed.member_roles),
        sections=sections,
        timekeepers=tuple(parsed.timekeepers or ()),
    )
