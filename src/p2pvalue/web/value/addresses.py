"""Claiming the work imported under an e-mail address: ask for a link to be mailed there,
then follow it while logged in (see `importers.addresses`); as API and as pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.importers import addresses
from p2pvalue.ingest import Outcome
from p2pvalue.mail import Mailer
from p2pvalue.node import Node
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.layout import render
from p2pvalue.web.spaces.api import outcome_response

api = APIRouter(prefix="/api/v1", tags=["value"])
pages = APIRouter(include_in_schema=False)
MAX_TOKEN = 1000


class AddressRequest(BaseModel):
    email: str = Field(min_length=3, max_length=254)


class LinkFollowed(BaseModel):
    token: str = Field(min_length=1, max_length=MAX_TOKEN)


def _mailer(node: Node) -> Mailer | None:
    return Mailer(node.config.mail) if node.config.mail else None


def _ask(node: Node, account: Account, space_id: str, email: str) -> None:
    addresses.ask(node.wiring, _mailer(node), account, space_id, email)


def _history(node: Node, space_id: str, member: str) -> dict[str, Any]:
    """What the member now holds of imported work: claims crediting them, payouts paid."""
    ledger = node.service(Value).ledger(space_id)
    claims = sum(1 for claim in ledger.claims.values() if member in claim.shares)
    paid = {currency: by[member] for currency, by in ledger.paid.items() if by.get(member)}
    return {"member": member, "claims": claims, "paid": paid}


@api.post("/spaces/{space_id}/addresses", status_code=202)
def ask_for_link(
    space_id: str, body: AddressRequest, node: NodeDep, account: AccountDep
) -> dict[str, Any]:
    """Mail `email` a link by which you claim the work imported under it in this space
    (valid 48 hours). 422 `invalid_email`, 403 `not_a_member`, 409
    `address_already_yours`/`alias_taken`/`no_attestor`, 503 `mail_not_configured`, 502
    `mail_not_sent`."""
    _ask(node, account, space_id, body.email)
    return {"sent": True, "valid_hours": addresses.LINK_HOURS}


@api.post("/addresses/claim", response_model=None)
def follow_link(body: LinkFollowed, node: NodeDep, account: AccountDep) -> Any:
    """Follow a mailed link: the address's imported work and held payouts become yours.
    400 `forged_link`, 403 `wrong_account`, 410 `link_expired`/`link_used`, 409
    `alias_taken`."""
    outcome = addresses.confirm(node.wiring, account, body.token)
    if outcome.status != "accepted":
        return outcome_response(outcome)
    claim = addresses.read_link(node.wiring.key, body.token, node.wiring.clock())
    return _history(node, claim.space, account.did)


@pages.get("/spaces/{space_id}/addresses")
def address_form(
    request: Request, space_id: str, node: NodeDep, account: AccountDep
) -> HTMLResponse:
    return _form(request, node, account, space_id)


def _form(
    request: Request, node: Node, account: Account, space_id: str, status: int = 200,
    **context: Any,
) -> HTMLResponse:  # fmt: skip
    try:
        space = node.space(space_id)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    return render(request, "address_claim.html", account, status, space=space, **context)


@pages.post("/spaces/{space_id}/addresses")
def ask_page(
    request: Request, space_id: str, node: NodeDep, account: AccountDep,
    email: Annotated[str, Form(max_length=254)] = "",
) -> HTMLResponse:  # fmt: skip
    try:
        _ask(node, account, space_id, email)
    except P2PError as refused:
        return _form(request, node, account, space_id, refused.status, email=email,
                     field_error=refused.message)  # fmt: skip
    return _form(request, node, account, space_id, 202, sent_to=email.strip())


@pages.get("/addresses/claim")
def link_page(
    request: Request, node: NodeDep, account: MaybeAccountDep,
    token: Annotated[str, Query(max_length=MAX_TOKEN)] = "",
) -> HTMLResponse:  # fmt: skip
    """Where a mailed link leads: what following it will do, and a button to do it (a
    mail scanner that opens the link changes nothing)."""
    try:
        claim = addresses.read_link(node.wiring.key, token, node.wiring.clock())
    except P2PError as refused:
        return render(request, "address_link.html", account, refused.status, problem=refused)
    space = node.space(claim.space)
    if account is not None and account.did != claim.member:
        problem = P2PError("wrong_account", "this link was sent to another member: log in as "
                           "them to follow it", 403)  # fmt: skip
        return render(request, "address_link.html", account, 403, problem=problem)
    return render(request, "address_link.html", account, token=token, space=space)


@pages.post("/addresses/claim")
def follow_page(
    request: Request, node: NodeDep, account: AccountDep,
    token: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
) -> HTMLResponse:  # fmt: skip
    try:
        outcome: Outcome = addresses.confirm(node.wiring, account, token)
    except P2PError as refused:
        return render(request, "address_link.html", account, refused.status, problem=refused)
    if outcome.status != "accepted":
        problem = P2PError(outcome.code or "refused", outcome.message or "refused", 409)
        return render(request, "address_link.html", account, 409, problem=problem)
    claim = addresses.read_link(node.wiring.key, token, node.wiring.clock())
    history = _history(node, claim.space, account.did)
    return render(request, "address_link.html", account, space=node.space(claim.space),
                  done=history)  # fmt: skip
