"""What every page shares: the templates, rendering a page with its flash, and going back
after an action with the refusal shown there."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority
from p2pvalue.governance.service import Governance
from p2pvalue.ingest import Outcome
from p2pvalue.rates import RateLimited
from p2pvalue.web import i18n
from p2pvalue.web.auth import NodeDep
from p2pvalue.web.payout_words import payout_name, payout_sentence
from p2pvalue.web.zones import UTC_ZONE, local, zone_of


def _in_context(context: str, message: str) -> str:
    """A template's message where the same English word means two things: `context` tells
    them apart for translators (a task's "Claim" button is not a contribution claim)."""
    return i18n.catalog(i18n.current()).pgettext(context, message)


templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.add_extension("jinja2.ext.i18n")
# Jinja fills the placeholders itself (escaping the values), so it gets the bare lookups.
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.template_gettext, i18n.template_ngettext, newstyle=True, pgettext=_in_context
)
templates.env.globals["current_language"] = i18n.current
templates.env.globals["languages"] = i18n.LANGUAGES
templates.env.globals["payout_name"] = payout_name
templates.env.globals["payout_sentence"] = payout_sentence


@pass_context
def _when(context: Mapping[str, Any], ms: int) -> str:
    """A time in the viewer's time zone (UTC when the page has no request)."""
    request = context.get("request")
    return local(ms, zone_of(request) if isinstance(request, Request) else UTC_ZONE)


templates.env.filters["when"] = _when
FLASH = "p2pvalue_flash"


class FieldProblem(P2PError):
    """A form field that cannot be read: which field, and what is wrong, in a member's words
    (shown next to that field, with what was typed kept)."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(code, message, 422)
        self.field = field


def json_object(text: str, what: str) -> dict[str, Any]:
    """The JSON object typed as `what`, or a refusal saying where it stops being one."""
    try:
        found = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        said = i18n.gettext(
            "This cannot be read as JSON: check the quotes, commas and braces near "
            "line %(line)s, column %(column)s.",
            line=error.lineno,
            column=error.colno,
        )
        raise FieldProblem("malformed_json", what, said) from None  # fmt: skip
    if not isinstance(found, dict):
        raise FieldProblem(
            "malformed_json", what, i18n.gettext("Write it as a JSON object, between { and }.")
        )
    return found


MAX_FLASH = 300


def render(
    request: Request, name: str, account: Account | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page; a refusal left by the previous action (in a one-shot cookie) is shown on it."""
    flash = request.cookies.get(FLASH)
    if flash and not context.get("error"):
        context["error"] = unquote(flash)[:MAX_FLASH]
    own = account.language if account is not None else None
    language = own if own in i18n.LANGUAGES and own != i18n.current() else None
    with i18n.speaking(language or i18n.current()):
        response = templates.TemplateResponse(
            request, name, {"account": account, **context}, status_code=status
        )
    if flash:
        response.delete_cookie(FLASH)
    if language:
        # The member's own choice, from another browser or from before: kept from now on.
        response.headers["content-language"] = language
        i18n.remember(response, language)
    return response


def slow_down(
    request: Request, message: str, retry_after: int, headers: Mapping[str, str]
) -> HTMLResponse:
    """The page a person sees when they (or their address) asked too often: 429."""
    response = templates.TemplateResponse(
        request, "slow_down.html", {"account": None, "reason": message,
                                    "retry_after": retry_after}, status_code=429,
    )  # fmt: skip
    response.headers.update(headers)
    return response


def act_and_return(
    node: NodeDep, account: Account, space: str, type: str, content: dict[str, Any], back: str
) -> Response:
    """Take the action, then go back to `back`, with the refusal shown there if any."""
    try:
        outcome = node.act(account, space, type, content)
        problem = outcome.message if outcome.status in ("rejected", "refused") else None
    except RateLimited:
        raise  # answered 429 with Retry-After, as a page (web.app)
    except P2PError as error:
        problem = error.message
    return back_with(back, problem)


def back_with(back: str, problem: str | None = None) -> Response:
    """Go back to `back`, with `problem` shown there if there is one."""
    response = RedirectResponse(back, 303)
    if problem:
        # A cookie, not the URL: no other site can make a page of ours say what it wants.
        response.set_cookie(FLASH, quote(problem[:MAX_FLASH]), max_age=60, httponly=True,
                            samesite="strict")  # fmt: skip
    return response


def flash_of(code: str, message: str, meanings: Mapping[str, str], words: bool = False) -> str:
    """A refusal as a page's flash shows it: its code, then what it means (the message, or
    the code's meaning when the message says no more than the code). In `words`, without
    the code: the code's meaning where `meanings` has one, a sentence for a member to read.
    Meanings are worded in English (the API's words) and translated here for the page."""
    meaning = i18n.gettext(meanings.get(code, code) if message in ("", code) else message)
    if words:
        known = meanings.get(code)
        said = i18n.gettext(known) if known else meaning
        return said[:1].upper() + said[1:] + ("" if said.endswith(".") else ".")
    return f"{code}: {meaning}"


def problem_of(outcome: Outcome, meanings: Mapping[str, str], words: bool = False) -> str | None:
    """The flash for an action the node refused or stored as rejected; None if accepted."""
    if outcome.status == "refused":
        return flash_of(outcome.code or "refused", outcome.message or "", meanings, words)
    if outcome.status == "rejected":
        code, _, detail = (outcome.message or "not_authorized").partition(":")
        return flash_of(code, detail.strip(), meanings, words)
    return None


def acted(
    call: Callable[[], Outcome],
    back: str,
    meanings: Mapping[str, str],
    to: Callable[[str], str] | None = None,
    words: bool = False,
) -> Response:
    """Take the action, then go to `to(event id)` (or back to `back`), or back to `back`
    with the refusal shown there (in `words`: what it means, without its code)."""
    outcome: Outcome | None = None
    try:
        outcome = call()
        problem = problem_of(outcome, meanings, words)
    except RateLimited:
        raise
    except P2PError as error:
        problem = flash_of(error.code, error.message, meanings, words)
    if problem is None and to is not None and outcome is not None and outcome.id:
        return RedirectResponse(to(outcome.id), 303)
    return back_with(back, problem)


def space_authority(node: NodeDep, space_id: str) -> Authority | None:
    """The governance state of a space this node holds, or None."""
    try:
        return node.service(Governance).authority(space_id)
    except P2PError:
        return None


def missing(request: Request, account: Account | None, what: str) -> HTMLResponse:
    return render(request, "missing.html", account, 404, error=what)
