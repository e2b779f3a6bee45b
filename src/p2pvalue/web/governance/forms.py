"""The governance forms, read into event content: a new proposal of each action type, and a
ballot of the shape the proposal's method counts.

Pure functions of the submitted fields: they only shape what was typed, and refuse with a
`P2PError` what cannot be shaped (JSON that does not parse, an amount with too many
decimals, a score that is not a whole number). Whether the charter allows the result is the
node's to judge.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import BaseModel, Field

from p2pvalue.accounting.money import parse_amount
from p2pvalue.errors import P2PError
from p2pvalue.governance.methods import BINARY_METHODS
from p2pvalue.governance.methods.meeting import meeting_time

RANKED_METHODS = ("borda", "schulze", "irv", "stv")
APPROVAL_METHODS = ("approval", "equal_shares")
NUMBER_KEYS = {"score": "scores", "dot": "dots", "quadratic": "votes"}
MAX_OPTION_ID = 80
MAX_JSON = 100_000


class ProposalForm(BaseModel):
    """The fields of the new-proposal forms; each action type reads the ones it needs."""

    action: str = Field(default="text", max_length=40)
    title: str = Field(default="", max_length=300)
    body: str = Field(default="", max_length=20_000)
    draft: str = Field(default="", max_length=10)
    kind: str = Field(default="", max_length=40)
    options: str = Field(default="", max_length=40_000)
    patch: str = Field(default="", max_length=MAX_JSON)
    equation: str = Field(default="", max_length=MAX_JSON)
    member: str = Field(default="", max_length=80)
    member_did: str = Field(default="", max_length=80)
    role: str = Field(default="", max_length=40)
    amount: str = Field(default="", max_length=40)
    currency: str = Field(default="", max_length=8)
    to: str = Field(default="", max_length=200)
    claim: str = Field(default="", max_length=60)
    accept: str = Field(default="", max_length=10)
    candidate: list[str] = Field(default_factory=list, max_length=200)


class BallotForm(BaseModel):
    """The fields of the vote forms: a choice and reason (yes/no methods), approvals, a
    number per option (score, dots, quadratic votes) or an option per rank."""

    choice: str = Field(default="", max_length=10)
    reason: str = Field(default="", max_length=2000)
    approve: list[str] = Field(default_factory=list, max_length=200)
    option: list[str] = Field(default_factory=list, max_length=200)
    points: list[str] = Field(default_factory=list, max_length=200)
    rank: list[str] = Field(default_factory=list, max_length=200)
    availability: list[str] = Field(default_factory=list, max_length=200)


def proposal_content(form: ProposalForm, names: Mapping[str, str]) -> dict[str, Any]:
    """The `proposal.create` content the form describes; `names` label election candidates."""
    if not form.title.strip():
        raise P2PError("invalid_content", "a proposal needs a title", 422)
    action, options = _action(form, names)
    content: dict[str, Any] = {"title": form.title.strip(), "body": form.body.strip(),
                               "action": action}  # fmt: skip
    if form.action == "text" and form.kind.strip() and form.kind.strip() != "text":
        content["kind"] = form.kind.strip()
    if options:
        content["options"] = options
    if form.draft:
        content["draft"] = True
    return content


def _action(form: ProposalForm, names: Mapping[str, str]) -> tuple[dict[str, Any], list[Any]]:
    kind = form.action
    if kind == "text":
        return {"type": kind}, option_lines(form.options)
    if kind == "charter.amend":
        return {"type": kind, "patch": json_object(form.patch, "patch")}, []
    if kind == "value.equation":
        return {"type": kind, "equation": json_object(form.equation, "equation")}, []
    if kind in ("role.grant", "role.revoke"):
        return {"type": kind, "member": form.member, "role": form.role}, []
    if kind in ("member.admit", "member.remove"):
        return {"type": kind, "member": form.member_did.strip() or form.member}, []
    if kind == "treasury.spend":
        currency = form.currency.strip().upper()
        amount = parse_amount(form.amount.strip(), currency)
        return {"type": kind, "amount": amount, "currency": currency, "to": form.to.strip()}, []
    if kind == "election":
        candidates = [{"id": did, "label": names[did]} if did in names else {"id": did}
                      for did in dict.fromkeys(form.candidate)]  # fmt: skip
        return {"type": kind, "role": form.role}, candidates
    if kind == "contribution.resolve":
        return {"type": kind, "claim": form.claim.strip(), "accept": form.accept == "accept"}, []
    raise P2PError("invalid_content", f"no proposal action {kind!r}", 422)


def json_object(text: str, what: str) -> dict[str, Any]:
    """The JSON object typed as `what`, or a refusal saying why it is not one."""
    try:
        found = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise P2PError("malformed_json", f"the {what} is not valid JSON: {error}", 422) from None
    if not isinstance(found, dict):
        raise P2PError("malformed_json", f"the {what} must be a JSON object", 422)
    return found


def option_lines(text: str) -> list[dict[str, Any]]:
    """Options typed one per line, as `label` or `label | cost`; each id is a slug of its
    label (or the label itself, for a UTC time such as 2026-12-10T15:00Z), made distinct."""
    options: list[dict[str, Any]] = []
    taken: set[str] = set()
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        label, _, cost = (part.strip() for part in line.partition("|"))
        # A UTC time (a meeting poll's option) is its own id; any other label is slugged.
        slug = label if meeting_time(label) else _slug(label)
        option: dict[str, Any] = {"id": _distinct(slug, taken), "label": label}
        if cost:
            option["cost"] = _whole(cost, f"the cost of {label!r}")
        options.append(option)
    return options


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[: MAX_OPTION_ID - 4] or "option"


def _distinct(slug: str, taken: set[str]) -> str:
    found, n = slug, 2
    while found in taken:
        found, n = f"{slug}-{n}", n + 1
    taken.add(found)
    return found


def _whole(text: str, what: str) -> int:
    if not re.fullmatch(r"-?[0-9]{1,12}", text.strip()):
        raise P2PError("bad_ballot", f"{what} must be a whole number, not {text!r}", 422)
    return int(text)


def ballot_of(method: str, form: BallotForm) -> dict[str, Any]:
    """The ballot `method` counts, from the vote form's fields."""
    if method in BINARY_METHODS:
        if not form.choice:
            raise P2PError("bad_ballot", "choose yes, no, abstain or block", 422)
        reason = form.reason.strip()
        return {"choice": form.choice, **({"reason": reason} if reason else {})}
    if method in APPROVAL_METHODS:
        return {"approve": list(form.approve)}
    if method in RANKED_METHODS:
        return {"ranking": [option for option in form.rank if option]}
    if method == "meeting":
        return {"availability": dict(zip(form.option, form.availability, strict=False))}
    key = NUMBER_KEYS.get(method)
    if key is None:
        raise P2PError("bad_ballot", f"no ballot form for the method {method!r}", 422)
    numbers = {
        option: _whole(text, f"the {key} for {option!r}")
        for option, text in zip(form.option, form.points, strict=False)
        if text.strip()
    }
    # A dot or a quadratic vote of 0 means none; the methods refuse an explicit 0 dots.
    if key != "scores":
        numbers = {option: n for option, n in numbers.items() if n != 0}
    return {key: numbers}
