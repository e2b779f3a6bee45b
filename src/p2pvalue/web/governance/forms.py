"""The governance forms, read into event content: a new proposal of each action type, and a
ballot of the shape the proposal's method counts.

Pure functions of the submitted fields: they only shape what was typed, and refuse with a
`FieldProblem` (naming the field, saying what is wrong in a member's words) what cannot be
shaped: JSON that does not parse, an amount with too many decimals, a member not chosen, a
score that is not a whole number. Whether the charter allows the result is the node's to
judge; `FIELD_OF` says next to which field each of its refusals belongs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from pydantic import BaseModel, Field

from p2pvalue.accounting.money import parse_amount
from p2pvalue.errors import P2PError
from p2pvalue.governance.methods import BINARY_METHODS
from p2pvalue.governance.methods.meeting import meeting_time
from p2pvalue.web.i18n import N_, gettext
from p2pvalue.web.layout import FieldProblem, json_object

RANKED_METHODS = ("borda", "schulze", "irv", "stv")
APPROVAL_METHODS = ("approval", "equal_shares")
NUMBER_KEYS = {"score": "scores", "dot": "dots", "quadratic": "votes"}
MAX_OPTION_ID = 80
MAX_JSON = 100_000
DID = "did:key:z[1-9A-HJ-NP-Za-km-z]+"
KIND = "[a-z][a-z0-9_-]*"


# Where on the new-proposal form each of the node's refusals belongs, and what it means
# there; a refusal not named here is shown above the form.
FIELD_OF = {
    "options_need_choice_method": (
        "options",
        N_("This kind of decision is a yes/no vote: leave the options out."),
    ),
    "choice_method_needs_options": (
        "options",
        N_("This kind of decision chooses among options: write at least one, one per line."),
    ),
    "option_needs_cost": ("options", N_("Give every option a cost, as “name | cost”.")),
    "option_not_a_time": (
        "options",
        N_("Write each time as a date and a time, such as 2026-12-10 15:00."),
    ),
    "unknown_role": ("role", N_("The charter has no such role.")),
    "candidate_not_a_member": ("candidate", N_("Every candidate must be a member.")),
    "invalid_charter": ("patch", N_("The charter would not be valid after this change.")),
    "no_one_can_amend": ("patch", N_("After this change no member could amend the charter.")),
    "basis_not_used": (
        "patch",
        N_("Only a majority vote can count its threshold of everyone eligible."),
    ),
    "all_voted_needs_open_ballots": (
        "patch",
        N_("A secret ballot cannot close once everyone voted."),
    ),
    "invalid_equation": (
        "equation",
        N_(
            "A new equation needs a higher version and a later effective_from than the one "
            "in force."
        ),
    ),
    "not_a_member": ("member", N_("This person is not a member.")),
    "already_a_member": ("member", N_("This person is already a member.")),
    "insufficient_balance": ("amount", N_("The treasury holds less than this in this currency.")),
    "unknown_claim": ("claim", N_("There is no such claim in this space.")),
    "claim_not_disputed": ("claim", N_("This claim is not disputed: its reviewers agree.")),
}


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


def proposal_content(
    form: ProposalForm, names: Mapping[str, str], zone: tzinfo | None = None
) -> dict[str, Any]:
    """The `proposal.create` content the form describes; `names` label election candidates,
    and the viewer's `zone` reads the local times of a meeting poll's options."""
    if not form.title.strip():
        raise FieldProblem("invalid_content", "title", gettext("Give the proposal a title."))
    action, options = _action(form, names, zone)
    content: dict[str, Any] = {"title": form.title.strip(), "body": form.body.strip(),
                               "action": action}  # fmt: skip
    if form.action == "text" and form.kind.strip() and form.kind.strip() != "text":
        content["kind"] = form.kind.strip()
    if options:
        content["options"] = options
    if form.draft:
        content["draft"] = True
    return content


def _action(
    form: ProposalForm, names: Mapping[str, str], zone: tzinfo | None
) -> tuple[dict[str, Any], list[Any]]:
    kind = form.action
    if kind == "text":
        return {"type": kind}, option_lines(form.options, zone)
    if kind == "charter.amend":
        return {"type": kind, "patch": json_object(form.patch, "patch")}, []
    if kind == "value.equation":
        return {"type": kind, "equation": json_object(form.equation, "equation")}, []
    if kind in ("role.grant", "role.revoke"):
        return {"type": kind, "member": _member(form.member), "role": _role(form.role)}, []
    if kind in ("member.admit", "member.remove"):
        return {"type": kind, "member": _member(form.member_did.strip() or form.member)}, []
    if kind == "treasury.spend":
        return _spend(form), []
    if kind == "election":
        candidates = [{"id": did, "label": names[did]} if did in names else {"id": did}
                      for did in dict.fromkeys(form.candidate)]  # fmt: skip
        if not candidates:
            raise FieldProblem(
                "invalid_content", "candidate", gettext("Choose at least one candidate.")
            )
        return {"type": kind, "role": _role(form.role)}, candidates
    if kind == "contribution.resolve":
        return _resolve(form), []
    raise FieldProblem(
        "invalid_content", "action", gettext("Choose what kind of proposal to make.")
    )


def _member(did: str) -> str:
    if not re.fullmatch(DID, did.strip()):
        raise FieldProblem("invalid_content", "member", gettext("Choose a member (or paste "
                           "their did:key identifier)."))  # fmt: skip
    return did.strip()


def _role(role: str) -> str:
    if not re.fullmatch(KIND, role):
        raise FieldProblem("invalid_content", "role", gettext("Choose a role."))
    return role


def _spend(form: ProposalForm) -> dict[str, Any]:
    currency = form.currency.strip().upper()
    if not re.fullmatch("[A-Z]{3}", currency):
        raise FieldProblem("invalid_content", "currency", gettext("Write the currency as its "
                           "three letters, such as EUR or USD."))  # fmt: skip
    try:
        amount = parse_amount(form.amount.strip(), currency)
    except P2PError as error:
        message = (gettext("Write the amount in %(currency)s with at most the decimals it "
                           "has, such as 120.50.", currency=currency)
                   if error.code == "too_many_decimals"
                   else gettext("Write the amount as a number, such as 120.50."))  # fmt: skip
        raise FieldProblem(error.code, "amount", message) from None
    if amount <= 0:
        raise FieldProblem(
            "invalid_amount", "amount", gettext("The amount must be more than zero.")
        )
    if not form.to.strip():
        raise FieldProblem("invalid_content", "to", gettext("Say who receives the money."))
    return {"type": "treasury.spend", "amount": amount, "currency": currency,
            "to": form.to.strip()}  # fmt: skip


def _resolve(form: ProposalForm) -> dict[str, Any]:
    if not re.fullmatch("[A-Za-z0-9_-]{43}", form.claim.strip()):
        raise FieldProblem(
            "invalid_content", "claim", gettext("Choose the disputed claim to settle.")
        )
    if form.accept not in ("accept", "reject"):
        raise FieldProblem(
            "invalid_content", "accept", gettext("Choose whether to accept or reject it.")
        )
    return {"type": "contribution.resolve", "claim": form.claim.strip(),
            "accept": form.accept == "accept"}  # fmt: skip


def option_lines(text: str, zone: tzinfo | None = None) -> list[dict[str, Any]]:
    """Options typed one per line, as `label` or `label | cost`; each id is a slug of its
    label (or the label itself, for a UTC time such as 2026-12-10T15:00Z), made distinct.
    With the viewer's `zone`, a local date and time such as 2026-12-10 15:00 is that UTC time."""
    options: list[dict[str, Any]] = []
    taken: set[str] = set()
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        label, _, cost = (part.strip() for part in line.partition("|"))
        label = _utc(label, zone) if zone is not None else label
        # A UTC time (a meeting poll's option) is its own id; any other label is slugged.
        slug = label if meeting_time(label) else _slug(label)
        option: dict[str, Any] = {"id": _distinct(slug, taken), "label": label}
        if cost:
            if not re.fullmatch("[0-9]{1,12}", cost):
                said = gettext(
                    "The cost of “%(label)s” must be a whole number, such as 1200.", label=label
                )
                raise FieldProblem("invalid_content", "options", said)  # fmt: skip
            option["cost"] = int(cost)
        options.append(option)
    return options


def _utc(label: str, zone: tzinfo) -> str:
    """`label` as a UTC time id when it is a local date and time in `zone`, else as it is."""
    try:
        local = datetime.strptime(label, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    except ValueError:
        return label
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


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
