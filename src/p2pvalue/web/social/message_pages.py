"""Pages for direct messages: a member's conversations, one conversation, and the forms that
write a message. The node seals and opens them for the member (`social.conversations`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.web.auth import MaybeAccountDep, NodeDep
from p2pvalue.web.i18n import N_, gettext
from p2pvalue.web.layout import render
from p2pvalue.web.naming import names_of

router = APIRouter(include_in_schema=False)
MAX_USERNAME = 40
# Why a message was not sent, in a member's words, and next to which field.
REFUSALS = {
    "message_to_self": ("to", N_("You can't send a message to yourself.")),
    "unknown_member": ("to", N_("No one on this node has that username.")),
    "unknown_home": ("to", N_("This node does not know where that member lives.")),
}


def _login(request: Request) -> HTMLResponse:
    return render(request, "messages.html", None, 401)


@router.get("/messages")
def conversations_page(request: Request, node: NodeDep, account: MaybeAccountDep) -> Response:
    """Whom the member talks with, newest first, with a form to write to someone."""
    if account is None:
        return _login(request)
    return _overview(request, node, account)


def _overview(
    request: Request, node: Node, account: Account, status: int = 200, **form: Any
) -> HTMLResponse:
    talks = node.service(Social).conversations.overview(account)
    names = names_of(node, {talk.other for talk in talks}, account.did)
    return render(request, "messages.html", account, status, talks=talks, names=names, **form)


@router.post("/messages")
def write_to_someone(
    request: Request,
    node: NodeDep,
    account: MaybeAccountDep,
    to: Annotated[str, Form(max_length=200)] = "",
    text: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    """Send the first (or next) message to a member named by username."""
    if account is None:
        return _login(request)
    username = to.strip().lstrip("@").lower()
    recipient = node.accounts.by_username(username) if 0 < len(username) <= MAX_USERNAME else None
    errors = _send(node, account, recipient, text) if recipient else {"to": _no_one(username)}
    if errors:
        return _overview(request, node, account, 422, to=to, text=text, errors=errors)
    assert recipient is not None
    return RedirectResponse(f"/messages/{recipient.username}", status_code=303)


def _no_one(username: str) -> str:
    if not username:
        return gettext("Write the username of the member you want to write to.")
    return gettext("No one on this node has the username “%(username)s”.", username=username)


def _send(node: Node, account: Account, to: Account, text: str) -> dict[str, str]:
    """Send `text`; the refusal by field, or nothing when it was sent."""
    try:
        node.service(Social).conversations.write(account, to.did, text)
    except P2PError as refused:
        field, message = REFUSALS.get(refused.code, ("text", refused.message))
        return {field: gettext(message)}
    return {}


@router.get("/messages/{username}")
def conversation_page(
    request: Request, username: str, node: NodeDep, account: MaybeAccountDep
) -> Response:
    """The conversation with one member, oldest first, and the form to answer."""
    if account is None:
        return _login(request)
    return _conversation(request, node, account, username)


def _conversation(
    request: Request, node: Node, account: Account, username: str, status: int = 200,
    **form: Any,
) -> HTMLResponse:  # fmt: skip
    other = node.accounts.by_username(username) if len(username) <= MAX_USERNAME else None
    if other is None:
        return render(request, "missing.html", account, 404,
                      error=gettext("No one on this node has the username “%(username)s”.",
                                    username=username))  # fmt: skip
    said = node.service(Social).conversations.read(account, other.did)
    called = names_of(node, [other.did], account.did).get(other.did) or other.username
    return render(request, "conversation.html", account, status, other=other, called=called,
                  said=said, **form)  # fmt: skip


@router.post("/messages/{username}")
def answer(
    request: Request,
    username: str,
    node: NodeDep,
    account: MaybeAccountDep,
    text: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    """Send a message in a conversation and come back to it."""
    if account is None:
        return _login(request)
    other = node.accounts.by_username(username) if len(username) <= MAX_USERNAME else None
    if other is None:
        return _conversation(request, node, account, username)
    errors = _send(node, account, other, text)
    if errors:
        return _conversation(request, node, account, username, 422, text=text, errors=errors)
    return RedirectResponse(f"/messages/{other.username}#latest", status_code=303)
