"""The what-if page of a space: a member tries a payout policy, acceptance rule, value
equation or decision method on the space's own history and the months ahead; and the
what-ifs a proposal shows on its page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from p2pvalue.accounting.equation import charter_equation
from p2pvalue.accounting.money import parse_amount
from p2pvalue.accounting.types import PAYOUT_POLICIES, value_policy
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.governance.enact import charter_patch
from p2pvalue.governance.methods import METHODS
from p2pvalue.governance.proposals import DRAFT, OPEN, Proposal
from p2pvalue.governance.service import Governance
from p2pvalue.governance.types import decisions_of
from p2pvalue.node import Node
from p2pvalue.simulation.service import Horizon, Simulation, WhatIf
from p2pvalue.simulation.trial import TrialError
from p2pvalue.web.auth import MaybeAccountDep, NodeDep
from p2pvalue.web.i18n import gettext
from p2pvalue.web.layout import render, templates
from p2pvalue.web.naming import names_of
from p2pvalue.web.simulation.charts import forecast_svg

router = APIRouter(include_in_schema=False)
templates.env.filters["forecast_svg"] = forecast_svg
PAGE = "/spaces/{space_id}/what-if/policy"
Text = Annotated[str, Form(max_length=100_000)]
Short = Annotated[str, Form(max_length=40)]
PENDING = "pending"  # a proposal's what-ifs are being worked out


@router.get(PAGE)
def policy_form(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """The policy in force, ready to edit, and nothing tried yet."""
    try:
        form = _current(node, space_id)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    return _page(request, node, account, space_id, form, {}, None)


@router.post(PAGE)
def try_policy(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep,
    equation: Text = "", payout_policy: Short = "", approvals: Short = "", lazy_hours: Short = "",
    kind: Short = "", method: Short = "", threshold: Short = "", quorum: Short = "",
    budget: Short = "", currency: Short = "", months: Short = "12",
) -> HTMLResponse:  # fmt: skip
    """The tried policy's what-ifs, or what is wrong with it next to the field."""
    form = {"equation": equation, "payout_policy": payout_policy, "approvals": approvals,
            "lazy_hours": lazy_hours, "kind": kind, "method": method, "threshold": threshold,
            "quorum": quorum, "budget": budget, "currency": currency, "months": months}  # fmt: skip
    errors: dict[str, str] = {}
    patch = _patch(node, space_id, form, errors)
    horizon = _horizon(form, errors)
    found = None
    if not errors:
        try:
            found = node.service(Simulation).what_if(space_id, patch, horizon)
        except TrialError as refusal:
            errors[_form_field(refusal.field)] = refusal.message
    status = 422 if errors else 200
    return _page(request, node, account, space_id, form, errors, found, status)


def _page(
    request: Request, node: Node, account: Any, space_id: str, form: Mapping[str, str],
    errors: Mapping[str, str], found: WhatIf | None, status: int = 200,
) -> HTMLResponse:  # fmt: skip
    charter = node.service(Governance).authority(space_id).charter
    members = [o.member for o in found.replay.members] if found and found.replay else []
    extra = list(found.now.member_paid) if found and found.now else []
    return render(
        request, "simulation.html", account, status, space=node.space(space_id), form=form,
        errors=errors, found=found, policies=PAYOUT_POLICIES, methods=METHODS,
        kinds=sorted(decisions_of(charter)),
        names=names_of(node, {*members, *extra}, account.did if account else None),
    )  # fmt: skip


def _current(node: Node, space_id: str) -> dict[str, str]:
    """The form filled with the policy in force."""
    charter = node.service(Governance).authority(space_id).charter
    policy = value_policy(charter)
    form = {"equation": "", "payout_policy": "", "approvals": "", "lazy_hours": "",
            "kind": "", "method": "", "threshold": "", "quorum": "", "budget": "",
            "currency": node.service(Simulation).currency(space_id), "months": "12"}  # fmt: skip
    if policy is not None:
        content = charter_equation(policy.kinds, policy.equation).to_content()
        form["equation"] = orjson.dumps(content, option=orjson.OPT_INDENT_2).decode()
        form["payout_policy"] = policy.payout_policy
        form["approvals"] = str(policy.acceptance.approvals)
        lazy = policy.acceptance.lazy_hours
        form["lazy_hours"] = "" if lazy is None else str(lazy)
    return form


def _patch(
    node: Node, space_id: str, form: Mapping[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    """The charter patch the form asks to try; what cannot be read goes into `errors`."""
    charter = node.service(Governance).authority(space_id).charter
    policy = value_policy(charter)
    patch: dict[str, Any] = {}
    if policy is not None:
        patch["value"] = _value_patch(form, errors)
    if form["kind"]:
        current = decisions_of(charter).get(form["kind"])
        if current is None:
            errors["kind"] = gettext("This space has no decision rule of that kind.")
        else:
            patch["decisions"] = {form["kind"]: _decision_patch(form)}
    return patch


def _value_patch(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    if form["equation"].strip():
        try:
            value["equation"] = orjson.loads(form["equation"])
        except orjson.JSONDecodeError:
            errors["equation"] = gettext(
                "The equation is not valid JSON; check its brackets and commas."
            )
    if form["payout_policy"]:
        value["payout_policy"] = form["payout_policy"]
    acceptance: dict[str, Any] = {}
    if form["approvals"]:
        acceptance["approvals"] = _whole(form["approvals"], "approvals", errors)
    acceptance["lazy_hours"] = (
        _whole(form["lazy_hours"], "lazy_hours", errors) if form["lazy_hours"] else None
    )
    value["acceptance"] = acceptance
    return value


def _decision_patch(form: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in ("method", "threshold", "quorum"):
        if form[name]:
            found[name] = form[name]
    return found


def _whole(text: str, field: str, errors: dict[str, str]) -> int:
    if not text.strip().isdigit():
        errors[field] = gettext("Write a whole number here, not %(typed)s.", typed=repr(text))
        return 0
    return int(text)


def _horizon(form: Mapping[str, str], errors: dict[str, str]) -> Horizon:
    months = _whole(form["months"] or "12", "months", errors)
    if not errors.get("months") and not 1 <= months <= 60:
        errors["months"] = gettext("Forecast between 1 and 60 months ahead.")
    currency = form["currency"].strip().upper() or "EUR"
    budget = None
    if form["budget"].strip():
        try:
            budget = parse_amount(form["budget"].strip(), currency)
        except P2PError as refusal:
            errors["budget"] = gettext(
                "That is not an amount of %(currency)s: %(reason)s.",
                currency=currency,
                reason=gettext(refusal.message),
            )
    return Horizon(months=months, budget=budget, currency=currency)


def _form_field(field: str) -> str:
    """The form field a charter's refusal is about."""
    return {"acceptance": "approvals", "decisions": "method", "patch": "equation"}.get(field, field)


def proposal_what_if(node: Node, space_id: str, proposal: Proposal) -> WhatIf | str | None:
    """What an undecided proposal that changes the value policy or a decision rule would do:
    its replay, recount and forecast, or `PENDING` while they are being worked out in the
    background; None for any other proposal."""
    action = proposal.action
    if action["type"] not in ("value.equation", "charter.amend") or proposal.status not in (
        DRAFT,
        OPEN,
    ):
        return None
    charter = node.service(Governance).authority(space_id).charter
    patch = charter_patch(charter, action)
    if not ({"value", "decisions"} & patch.keys()):
        return None
    done = node.service(Simulation).worked_out(space_id, patch, Horizon())
    if done is None:
        return PENDING
    found = done.result
    if found is None or not (found.trial.value_changed or found.trial.decisions):
        return None
    return found
