"""The pages that take people in: inviting by username or by link, following a link,
asking to join, and the Requests view where members who may admit answer."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.membership.links import LIFETIMES, USES
from p2pvalue.membership.service import Membership, may, status_of
from p2pvalue.rates import RateLimited
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.governance.meeting import zone_of
from p2pvalue.web.i18n import N_, gettext, ngettext
from p2pvalue.web.layout import back_with, missing, render, space_authority
from p2pvalue.web.membership.charter_words import (
    BLANK,
    TEMPLATE_NAMES,
    charter_words,
    template_charter,
    template_names,
    template_summaries,
    templates,
)
from p2pvalue.web.naming import names_of
from p2pvalue.web.paging import page_of

router = APIRouter(include_in_schema=False)
SPACE = "/spaces/{space_id}"
FORMAT = "%-d %b %Y, %H:%M %Z"
NEW_LINK = "p2pvalue_new_link"
# Refusals about the person named: the domain says them after the username, in English.
ABOUT_SOMEONE = {
    "already_a_member": N_("%(username)s is already a member of this space"),
    "already_invited": N_("%(username)s has already been invited and can join now"),
}
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _when(request: Request) -> Any:
    """Times as the viewer reads them: in their time zone (`static/timezone.js`)."""
    zone = zone_of(request)
    return lambda ms: datetime.fromtimestamp(ms / 1000, zone).strftime(FORMAT)


def _lifetime(hours: int) -> str:
    """A link's lifetime as a member picks it: "1 hour", "1 day", "7 days"."""
    if hours % 24:
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    return ngettext("%(num)d day", "%(num)d days", hours // 24)


def _words(error: P2PError, username: str = "") -> str:
    """A membership refusal in the reader's language: the meaning of its code (worded in
    English by the domain, as the API says it), about `username` where it names one."""
    about = ABOUT_SOMEONE.get(error.code)
    if about and username:
        return gettext(about, username=username)
    return gettext(error.message)


def _tried(call: Any) -> str | None:
    """Run a membership step; the refusal in a member's words, or None if it was done."""
    try:
        call()
    except RateLimited:
        raise
    except P2PError as error:
        return _words(error)
    return None


@router.get("/start")
def start_page(request: Request, account: MaybeAccountDep) -> Response:
    """Start a space: pick a charter template, each with its rules in plain words."""
    if account is None:
        return RedirectResponse("/login?next=/start", status_code=303)
    return _start_page(request, account)


def _start_page(
    request: Request, account: Account, status: int = 200, **form: Any
) -> HTMLResponse:  # fmt: skip
    previews = {name: charter_words(template_charter(name)) for name in templates()}
    error = form.pop("error", None)
    return render(request, "space_new.html", account, status, previews=previews,
                  names=template_names(), summaries=template_summaries(), error=error,
                  form={"template": BLANK, "membership": "open", **form})  # fmt: skip


@router.post("/start")
def start(
    request: Request,
    node: NodeDep,
    account: AccountDep,
    name: Annotated[str, Form()],
    template: Annotated[str, Form()] = BLANK,
    description: Annotated[str, Form()] = "",
    membership: Annotated[str, Form()] = "open",
    private: Annotated[bool, Form()] = False,
) -> Response:
    """Found a space with the chosen template's charter (a private one is by invitation,
    whatever the template says); a refusal shows the form again with what was typed."""
    form = {"template": template, "membership": membership, "name": name,
            "description": description, "private": private}  # fmt: skip
    if template not in TEMPLATE_NAMES:
        said = gettext("Choose one of the charters shown.")
        return _start_page(request, account, 422, error=said, **form)
    charter = template_charter(template, "invite" if private else membership)
    if private:
        charter = {**charter, "membership": "invite"}
    try:
        outcome = node.create_space(account, name.strip(), description.strip(),
                                    charter["membership"], charter, private=private)  # fmt: skip
    except P2PError as error:
        return _start_page(request, account, error.status, error=error.message, **form)
    if outcome.status != "accepted":
        problem = outcome.message or outcome.status
        return _start_page(request, account, 422, error=problem, **form)
    return RedirectResponse(f"/spaces/{outcome.id}", status_code=303)


@router.get(SPACE + "/requests")
def requests_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """The requests to join waiting for an answer; for a visitor, where theirs stands."""
    state = space_authority(node, space_id)
    if state is None:
        return missing(request, account, gettext("There is no such space on this node."))
    membership = node.service(Membership)
    did = account.did if account else ""
    member = state.is_member(did)
    return render(
        request, "space_requests.html", account, space=node.space(space_id),
        requests=page_of(request, membership.requests(space_id) if member else []),
        is_member=member,
        may_admit=may(state, did, "member.admit"), mine=status_of(state, did),
        policy=state.charter.membership, when=_when(request),
    )  # fmt: skip


@router.post(SPACE + "/requests")
def ask(
    space_id: str, node: NodeDep, account: AccountDep,
    message: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    """Ask to join, then go `back` to the page asked from (the space's, or its Requests)."""
    problem = _tried(lambda: node.service(Membership).ask(account, space_id, message))
    return back_with(_back(space_id, back), problem)


def _back(space_id: str, back: str) -> str:
    """Where a form of the space's page or Requests view returns to: one of those two."""
    requests = f"/spaces/{space_id}/requests"
    return back if back in (f"/spaces/{space_id}", requests) else requests


@router.post(SPACE + "/requests/{member}/{decision}")
def decide(
    space_id: str, member: str, decision: str, node: NodeDep, account: AccountDep,
    back: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    """Approve or decline a request, then go `back` (a page of the space; by default its
    Requests view); approving without the right to admit proposes it."""
    back = _back(space_id, back)
    if decision not in ("approve", "decline"):
        return back_with(back, gettext("Choose approve or decline."))
    membership = node.service(Membership)
    decided: dict[str, Any] = {}

    def call() -> None:
        decided.update(membership.decide(account, space_id, member, decision == "approve"))

    problem = _tried(call)
    if decided.get("decision") == "proposed":
        return RedirectResponse(f"/spaces/{space_id}/proposals/{decided['proposal']}", 303)
    return back_with(back, problem)


@router.post(SPACE + "/accept")
def accept(space_id: str, node: NodeDep, account: AccountDep) -> Response:
    """Join a space one was invited to."""
    problem = _tried(lambda: node.service(Membership).accept(account, space_id))
    return back_with(f"/spaces/{space_id}", problem)


def _invite_page(
    request: Request, node: NodeDep, account: Account, space_id: str, status: int = 200,
    **context: Any,
) -> HTMLResponse:  # fmt: skip
    state = space_authority(node, space_id)
    if state is None:
        return missing(request, account, gettext("There is no such space on this node."))
    membership = node.service(Membership)
    return render(
        request, "space_invite.html", account, status, space=node.space(space_id),
        is_member=state.is_member(account.did), may_invite=may(state, account.did, "member.invite"),
        may_link=membership.may_make_links(state, account.did),
        links=membership.links_of(account, space_id), lifetimes=LIFETIMES, uses=USES,
        lifetime_words=_lifetime, when=_when(request),
        origin=str(request.base_url).rstrip("/"), **context,
    )  # fmt: skip


@router.get(SPACE + "/invite")
def invite_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep
) -> Response:
    """Invite people: by their username on this node, or with a link."""
    if account is None:
        return RedirectResponse(f"/login?next=/spaces/{space_id}/invite", 303)
    token = request.cookies.get(NEW_LINK)
    made = {"token": token} if token and TOKEN.fullmatch(token) else None
    page = _invite_page(request, node, account, space_id, made=made)
    if token:
        page.delete_cookie(NEW_LINK, path=f"/spaces/{space_id}/invite")
    return page


@router.post(SPACE + "/invite")
def invite(
    request: Request, space_id: str, node: NodeDep, account: AccountDep,
    username: Annotated[str, Form(max_length=200)],
) -> HTMLResponse:  # fmt: skip
    """Invite someone by username; an unknown name is said next to the field, kept."""
    try:
        done = node.service(Membership).invite(account, space_id, username)
    except RateLimited:
        raise
    except P2PError as error:
        return _invite_page(request, node, account, space_id, error.status,
                            username=username, username_error=_words(error, username))  # fmt: skip
    return _invite_page(request, node, account, space_id, invited=done)


@router.post(SPACE + "/invite-links")
def make_link(
    request: Request, space_id: str, node: NodeDep, account: AccountDep,
    hours: Annotated[int, Form()], uses: Annotated[int, Form()],
) -> Response:  # fmt: skip
    """Make a link, then show it once on the invite page (carried there by a one-shot
    cookie, so that reloading the page makes no second link): the node keeps only its hash."""
    try:
        made = node.service(Membership).make_link(account, space_id, hours, uses)
    except P2PError as error:
        return _invite_page(request, node, account, space_id, error.status,
                            link_error=_words(error))  # fmt: skip
    back = f"/spaces/{space_id}/invite"
    response = RedirectResponse(back, 303)
    response.set_cookie(NEW_LINK, made["token"], max_age=60, path=back, httponly=True,
                        samesite="strict")  # fmt: skip
    return response


@router.post(SPACE + "/invite-links/{link_id}/revoke")
def revoke_link(space_id: str, link_id: str, node: NodeDep, account: AccountDep) -> Response:
    problem = _tried(lambda: node.service(Membership).revoke_link(account, space_id, link_id))
    return back_with(f"/spaces/{space_id}/invite", problem)


@router.get("/join/{token}")
def link_page(
    request: Request, token: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """Where an invite link leads: the space and who invites, and a button to join; or a
    page that says plainly why the link no longer works."""
    membership = node.service(Membership)
    try:
        link = membership.link(token[:64])
        membership.check_live(link)
    except P2PError as error:
        return render(request, "invite_link.html", account, error.status, problem=_words(error))
    state = membership.authority(link.space)
    names = names_of(node, [link.inviter], account.did if account else None)
    return render(
        request, "invite_link.html", account, space=node.space(link.space), token=token,
        inviter=names.get(link.inviter, "a member"), expires=_when(request)(link.expires_at),
        mine=status_of(state, account.did) if account else None,
    )  # fmt: skip


@router.post("/join/{token}")
def follow_link(request: Request, token: str, node: NodeDep, account: AccountDep) -> Response:
    try:
        joined = node.service(Membership).follow(account, token[:64])
    except RateLimited:
        raise
    except P2PError as error:
        return render(request, "invite_link.html", account, error.status, problem=_words(error))
    return RedirectResponse(f"/spaces/{joined['space']}", 303)
