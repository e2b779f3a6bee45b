"""The account settings page: change the password, choose the pages' language, see and end
sessions, log out everywhere."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.login_throttle import LoginLocked
from p2pvalue.passwords import MAX_PASSWORD, password_problem
from p2pvalue.web import i18n
from p2pvalue.web.auth import COOKIE, AccountDep, MaybeAccountDep, NodeDep, current_token
from p2pvalue.web.i18n import N_, gettext
from p2pvalue.web.layout import render
from p2pvalue.web.spaces.pages import locked_words

router = APIRouter(include_in_schema=False)
DONE = {
    "password": N_("Your password is changed. Every other session and token of yours was ended."),
    "revoked": N_("That session is ended."),
}
# Which field a refusal of a password change is shown next to, and what it means there.
FIELD_OF = {"bad_credentials": "current", "login_locked": "current"}
MEANINGS = {
    "bad_credentials": N_("That is not your current password."),
    "same_password": N_("The new password is the one you have now: choose another."),
}


def _page(
    request: Request, node: NodeDep, account: Account, status: int = 200, **context: Any
) -> HTMLResponse:
    sessions = node.accounts.sessions_of(account, current_token(request))
    page = render(request, "account.html", account, status, sessions=sessions, **context)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/account", response_model=None)
def account_page(
    request: Request, node: NodeDep, account: MaybeAccountDep, done: str = ""
) -> Response:
    """Your account: the password form, your sessions and tokens."""
    if account is None:
        return RedirectResponse("/login", 303)
    notice = DONE.get(done)
    if done == "language":
        notice = i18n.gettext("Your language is saved.")
    elif notice:
        notice = gettext(notice)
    return _page(request, node, account, notice=notice)


@router.post("/account/language")
def choose_language(
    node: NodeDep, account: AccountDep, language: Annotated[str, Form(max_length=8)] = ""
) -> Response:
    """Keep the language the member reads the pages in, on every browser they log in from
    (empty: the one their browser asks for)."""
    chose = language if language in i18n.LANGUAGES else None
    if language and chose is None:
        raise P2PError("invalid_language", f"the pages are not in {language!r}", 422)
    node.accounts.set_language(account, chose)
    response = RedirectResponse("/account?done=language", 303)
    i18n.remember(response, chose)
    return response


@router.post("/account/password")
def change_password(
    request: Request, node: NodeDep, account: AccountDep,
    current: Annotated[str, Form(max_length=4 * MAX_PASSWORD)] = "",
    new: Annotated[str, Form(max_length=4 * MAX_PASSWORD)] = "",
    repeat: Annotated[str, Form(max_length=4 * MAX_PASSWORD)] = "",
) -> Response:  # fmt: skip
    """Change the password; refusals are shown next to their field, with what was typed
    kept in the other fields."""
    typed = {"current": current, "new": new, "repeat": repeat}
    if not current:
        return _refused(request, node, account, typed, "current",
                        gettext("Type your current password."))  # fmt: skip
    weak = password_problem(new, account.username, gettext)
    if weak is not None:
        return _refused(request, node, account, typed, "new", weak)
    if new != repeat:
        return _refused(request, node, account, typed, "repeat",
                        gettext("The two new passwords differ."))  # fmt: skip
    try:
        node.accounts.change_password(account, current, new, current_token(request))
    except P2PError as error:
        field = FIELD_OF.get(error.code, "new")
        page = _refused(request, node, account, typed, field, _words(error), error.status)
        page.headers.update(getattr(error, "headers", {}))
        return page
    return RedirectResponse("/account?done=password", 303)


def _words(error: P2PError) -> str:
    """A refusal of a password change in the reader's language."""
    if isinstance(error, LoginLocked):
        return locked_words(error.retry_after_s)
    meaning = MEANINGS.get(error.code)
    return gettext(meaning) if meaning else _plain(error.message)


def _refused(
    request: Request, node: NodeDep, account: Account, typed: dict[str, str], field: str,
    message: str, status: int = 422,
) -> HTMLResponse:  # fmt: skip
    cleared = {"current": {"current"}, "new": {"new", "repeat"}}.get(field, {field})
    kept = {name: value for name, value in typed.items() if name not in cleared}
    return _page(request, node, account, status, errors={field: _plain(message)}, typed=kept)


def _plain(message: str) -> str:
    """A refusal as a sentence a member reads."""
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


@router.post("/account/sessions/{session_id}/revoke")
def revoke_session(
    request: Request, session_id: str, node: NodeDep, account: AccountDep
) -> Response:
    """End one session; ending this browser's own logs it out."""
    mine = [s for s in node.accounts.sessions_of(account, current_token(request)) if s["current"]]
    try:
        node.accounts.revoke_session(account, session_id)
    except P2PError as error:
        return _page(request, node, account, error.status, error=_plain(error.message))
    if mine and mine[0]["id"] == session_id:
        return _logged_out("/login")
    return RedirectResponse("/account?done=revoked", 303)


@router.post("/account/logout-everywhere")
def logout_everywhere(node: NodeDep, account: AccountDep) -> Response:
    """End every session and token of the account, this browser's included."""
    node.accounts.revoke_sessions(account)
    return _logged_out("/login")


def _logged_out(to: str) -> Response:
    response = RedirectResponse(to, 303)
    response.delete_cookie(COOKIE)
    return response
