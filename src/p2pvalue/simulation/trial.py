"""A policy to try: changes to a space's charter, read into what the what-ifs take.

A trial is a merge patch of the charter's content (as a proposal's action makes one): its
`value` section (the equation, the acceptance rule, the payout policy) and its `decisions`
(the decision policy per kind of proposal). It is checked as the charter would be, and a
refusal names the field it is about, so a page can say it next to that field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from p2pvalue.accounting.equation import charter_equation
from p2pvalue.accounting.types import PAYOUT_POLICIES, Acceptance, ValuePolicy, value_policy
from p2pvalue.errors import P2PError
from p2pvalue.events.charter import Charter, charter_from_content
from p2pvalue.governance.enact import merge_patch
from p2pvalue.governance.types import DecisionPolicy, decisions_of


class TrialError(P2PError):
    """A trial the charter would refuse; `field` is the part of the trial it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__("invalid_trial", message, 422)
        self.field = field


@dataclass(frozen=True)
class Trial:
    """The value policy and decision policies a charter would have after a patch; what of
    them the patch changes."""

    value: ValuePolicy | None
    value_changed: bool
    decisions: Mapping[str, DecisionPolicy]  # only the kinds whose policy changes


def trial(charter: Charter, patch: Mapping[str, Any]) -> Trial:
    """What `patch` would make of `charter`'s value and decision policies; TrialError if
    the charter would refuse it."""
    merged = merge_patch(charter.to_content(), dict(patch))
    _check_parts(merged, patch)
    try:
        after = charter_from_content(merged)
    except P2PError as refusal:
        raise TrialError("patch", refusal.message) from None
    before = decisions_of(charter)
    changed = {kind: policy for kind, policy in decisions_of(after).items()
               if before.get(kind) != policy}  # fmt: skip
    value = value_policy(after)
    return Trial(value, value != value_policy(charter), changed)


def _check_parts(merged: Mapping[str, Any], patch: Mapping[str, Any]) -> None:
    """Refuse the part of the patch the charter would refuse, naming it."""
    value, changed = _section(merged, "value"), _section(patch, "value")
    if "equation" in changed and value.get("equation") is not None:
        try:
            charter_equation(value.get("kinds", []), value["equation"])
        except P2PError as refusal:
            raise TrialError("equation", refusal.message) from None
    parts: list[tuple[str, type[BaseModel], Any]] = []
    if "acceptance" in changed:
        parts.append(("acceptance", Acceptance, value.get("acceptance")))
    if "payout_policy" in changed and value.get("payout_policy") not in PAYOUT_POLICIES:
        raise TrialError(
            "payout_policy", f"the payout policy is one of {', '.join(PAYOUT_POLICIES)}"
        )
    decisions = _section(merged, "decisions")
    parts += [("decisions", DecisionPolicy, decisions.get(kind))
              for kind in _section(patch, "decisions")]  # fmt: skip
    for field, model, content in parts:
        try:
            model.model_validate(content)
        except ValidationError as refusal:
            first = refusal.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise TrialError(field, f"{where}: {first['msg']}" if where else first["msg"]) from None


def _section(content: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """A section of charter content, or nothing if it is not an object (the charter's own
    check then says what is wrong with it)."""
    found = content.get(name)
    return found if isinstance(found, Mapping) else {}
