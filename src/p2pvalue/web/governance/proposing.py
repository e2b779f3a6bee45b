"""Making a proposal on the pages, in two steps that need no script: first what kind of
proposal (each kind with how the charter decides it), then that kind's form, showing only
the fields it needs. A form the node refuses comes back as it was typed, with what is wrong
next to the field it is about."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from p2pvalue.accounting.equation import charter_equation
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import value_policy
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority
from p2pvalue.events.event import now_ms
from p2pvalue.governance.service import GOVERNANCE_REFUSALS, Governance
from p2pvalue.governance.types import (
    ACTION_KINDS,
    DecisionPolicy,
    is_binary,
    policy_for,
    text_kinds,
    yes_no_kind,
)
from p2pvalue.node import Node
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.governance.forms import FIELD_OF, ProposalForm, proposal_content
from p2pvalue.web.governance.meeting import zone_of
from p2pvalue.web.governance.words import method_words, who_votes
from p2pvalue.web.i18n import N_, gettext
from p2pvalue.web.layout import FieldProblem, missing, render, space_authority
from p2pvalue.web.naming import names_of

router = APIRouter(include_in_schema=False)
SPACE = "/spaces/{space_id}"
ACTION_TITLES = {
    "charter.amend": (N_("Amend the charter"), N_("Change the space's rules: roles, "
                      "membership, how decisions are taken.")),
    "value.equation": (N_("Change the value equation"), N_("Change how contributions are "
                       "weighed into value.")),
    "role.grant": (N_("Grant a role"), N_("Give a member a role and what it lets them do.")),
    "role.revoke": (N_("Revoke a role"), N_("Take a role away from a member.")),
    "member.admit": (N_("Admit a member"), N_("Let someone in who asked to join or was "
                     "invited.")),
    "member.remove": (N_("Remove a member"), N_("Take someone's membership away.")),
    "treasury.spend": (N_("Spend from the treasury"), N_("Pay an amount to someone.")),
    "election": (N_("Hold an election"), N_("Members rank candidates for a role.")),
    "contribution.resolve": (N_("Settle a disputed claim"), N_("Accept or reject a "
                             "contribution its reviewers disagree on.")),
}  # fmt: skip
CHOICE_HINTS = {
    "ranked": N_("Options to rank, one per line"),
    "budget": N_("Projects, one per line, as “name | cost”"),
    "meeting": N_("Times to choose from, one per line, such as 2026-12-10 15:00 (your time zone)"),
    "choice": N_("Options to choose from, one per line"),
}


@dataclass(frozen=True)
class Choice:
    """One kind of proposal a member may make: its form's address and how it is decided."""

    action: str
    kind: str
    title: str
    about: str
    policy: DecisionPolicy | None

    @property
    def query(self) -> str:
        return urlencode({"action": self.action, **({"kind": self.kind} if self.kind else {})})

    @property
    def decided(self) -> str:
        if self.policy is None:
            return gettext(
                "The charter says nothing about how this is decided, so it cannot be proposed."
            )
        return gettext(
            "Decided by %(method)s; %(voters)s votes.",
            method=method_words(self.policy),
            voters=who_votes(self.policy.voters),
        )


def choices(state: Authority) -> list[Choice]:
    """Every kind of proposal, in the order a member meets them: a yes/no decision in words,
    each choice among options the charter has a kind for, then the actions."""
    charter = state.charter
    found: list[Choice] = []
    yes_no = yes_no_kind(charter)
    if yes_no is not None:
        about = gettext("Members vote yes or no on what you write.")
        title = gettext("A decision in words")
        found.append(Choice("text", yes_no, title, about, policy_for(charter, yes_no)))
    for kind, policy in text_kinds(charter).items():
        if not is_binary(policy.method):
            said = kind.replace("_", " ")
            about = gettext("Members choose among options you list (%(kind)s).", kind=said)
            title = gettext("Choose among options: %(kind)s", kind=said)
            found.append(Choice("text", kind, title, about, policy))
    for action, (title, about) in ACTION_TITLES.items():
        if action in ("value.equation", "contribution.resolve") and not value_policy(charter):
            continue
        decided_by = policy_for(charter, ACTION_KINDS[action])
        found.append(Choice(action, "", gettext(title), gettext(about), decided_by))
    return found


def chosen(state: Authority, action: str, kind: str) -> Choice | None:
    """The choice `action` and `kind` name; a decision in words of no kind, or of another
    yes/no kind, is the yes/no one (of that kind)."""
    found = [c for c in choices(state) if c.action == action]
    if action != "text":
        return found[0] if found else None
    for choice in found:
        if choice.kind == kind:
            return choice
    yes_no = [c for c in found if c.policy is not None and is_binary(c.policy.method)]
    if yes_no and (not kind or kind in _yes_no_kinds(state)):
        return replace(yes_no[0], kind=kind or yes_no[0].kind)
    return None


def options_hint(policy: DecisionPolicy | None) -> str:
    """How to type the options of a choice method, or "" for a yes/no one (no options)."""
    if policy is None or is_binary(policy.method):
        return ""
    if policy.method in ("borda", "schulze", "irv", "stv"):
        return gettext(CHOICE_HINTS["ranked"])
    if policy.method in ("dot", "equal_shares"):
        return gettext(CHOICE_HINTS["budget"])
    return gettext(CHOICE_HINTS.get(policy.method, CHOICE_HINTS["choice"]))


@router.get(SPACE + "/proposals/new")
def new_proposal_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep,
    action: Annotated[str, Query(max_length=40)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:  # fmt: skip
    """Step one, the kinds of proposal; with `action` (and `kind`), that kind's form."""
    state = space_authority(node, space_id)
    if state is None:
        return missing(request, account, f"no space {space_id!r} on this node")
    form = ProposalForm(action=action, kind=kind) if action else None
    return _page(request, node, state, account, form, {})


def _page(
    request: Request, node: Node, state: Authority, account: Account | None,
    form: ProposalForm | None, errors: dict[str, str], status: int = 200,
) -> HTMLResponse:  # fmt: skip
    choice = chosen(state, form.action, form.kind) if form else None
    did = account.did if account else ""
    return render(
        request, "proposal_new.html", account, status, space=node.space(state.space),
        state=state, choices=choices(state), choice=choice, form=form, errors=errors,
        is_member=state.is_member(did), names=names_of(node, state.members, did or None),
        members=sorted(d for d in state.members if state.is_member(d)),
        others=[d for d, m in sorted(state.members.items()) if m.status != "member"],
        yes_no_kinds=_yes_no_kinds(state), hint=options_hint(choice.policy if choice else None),
        disputed=_disputed(node, state), equation=_next_equation(state),
        error=errors.get(""),
    )  # fmt: skip


def _names(node: Node, state: Authority) -> dict[str, str]:
    """Members by username: what a form names them by, and what a signed option is labelled."""
    return node.accounts.names(sorted(state.members))


def _yes_no_kinds(state: Authority) -> list[str]:
    kinds = text_kinds(state.charter).items()
    return [kind for kind, policy in kinds if is_binary(policy.method)]


def _disputed(node: Node, state: Authority) -> list[Any]:
    if value_policy(state.charter) is None:
        return []
    claims = node.service(Value).ledger(state.space).claims.values()
    return [claim for claim in claims if claim.status == "disputed"]


def _next_equation(state: Authority) -> str:
    """The equation in force, with the next version from now: where an amendment starts."""
    value = value_policy(state.charter)
    if value is None:
        return ""
    current = charter_equation(value.kinds, value.equation).to_content()
    current |= {"version": current["version"] + 1, "effective_from": now_ms()}
    return orjson.dumps(current, option=orjson.OPT_INDENT_2).decode()


@router.post(SPACE + "/governance/proposals")
def create_proposal(
    request: Request, space_id: str, node: NodeDep, account: AccountDep,
    form: Annotated[ProposalForm, Form()],
) -> Response:  # fmt: skip
    """Make the proposal the form describes; on a refusal the form comes back as typed, with
    what is wrong next to its field."""
    state = space_authority(node, space_id)
    if state is None:
        return missing(request, account, f"no space {space_id!r} on this node")
    if form.action == "text" and not form.kind:
        form = form.model_copy(update={"kind": yes_no_kind(state.charter) or "text"})
    errors = _refused(node, state, account, form, zone_of(request))
    if isinstance(errors, str):
        return RedirectResponse(f"/spaces/{space_id}/proposals/{errors}", 303)
    state = node.service(Governance).authority(space_id)
    return _page(request, node, state, account, form, errors, 422)


def _refused(
    node: Node, state: Authority, account: Account, form: ProposalForm, zone: tzinfo
) -> str | dict[str, str]:
    """The new proposal's id, or what is wrong with the form, by field ("" for the form)."""
    names = _names(node, state)
    try:
        content = proposal_content(form, names, zone)
        outcome = node.service(Governance).propose(account, state.space, content)
    except FieldProblem as problem:
        return {problem.field: problem.message}
    except P2PError as error:
        return _placed(error.code, error.message)
    if outcome.status in ("refused", "rejected"):
        code, _, detail = (outcome.code or outcome.message or "refused").partition(":")
        return _placed(code, detail.strip() or outcome.message or "")
    return str(outcome.id)


def _placed(code: str, message: str) -> dict[str, str]:
    """A refusal next to the field it is about, in a member's words where we have them."""
    field, words = FIELD_OF.get(code, ("", ""))
    meaning = GOVERNANCE_REFUSALS.get(code)
    if meaning:
        meaning = gettext(meaning)
    said = gettext(words) if words else (meaning[0].upper() + meaning[1:] + "." if meaning
                                         else message)  # fmt: skip
    return {field: said}
