"""The pages in the reader's language: English, and Spanish from a shipped catalog.

The language is the one the reader chose (a cookie set by the picker at the foot of every
page), else the best match of their browser's Accept-Language, else English. A pure ASGI
middleware puts it in a context variable for the request, so templates (`_()`, `{% trans %}`)
and the Python that words messages (`gettext`) read the same language without passing it
around.

A member's choice is also kept with their account (the picker and the account page store it),
so it follows them to every browser they log in from: logging in sets the cookie from it, and
a page rendered for a member whose cookie says otherwise (set before, or on another browser)
is rendered in the member's language and puts it back in the cookie (`layout.render`).
Catalogs are read from their `.po` files once per process: no compiled files are kept.
"""

from __future__ import annotations

import gettext as stdlib_gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from p2pvalue.web.auth import MaybeAccountDep, NodeDep

LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT = "en"
COOKIE = "p2pvalue_lang"
LOCALES = Path(__file__).parent / "locale"
MAX_ACCEPT = 400  # characters of Accept-Language read; the rest is ignored
YEAR = 365 * 24 * 3600

_language: ContextVar[str] = ContextVar("p2pvalue_language", default=DEFAULT)


@cache
def catalog(language: str) -> stdlib_gettext.NullTranslations:
    """The translations of `language`, compiled in memory from its shipped `.po` file."""
    if language == DEFAULT:
        return stdlib_gettext.NullTranslations()
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        messages = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return Translations(compiled)


def current() -> str:
    """The language of the request being answered."""
    return _language.get()


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Answer in `language` inside the block (a member's own choice, once their account is
    known)."""
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def remember(response: Response, language: str | None) -> None:
    """Have the browser ask for `language` from now on (None: forget the choice)."""
    if language in LANGUAGES:
        response.set_cookie(COOKIE, language, max_age=YEAR, samesite="lax", httponly=True)
    else:
        response.delete_cookie(COOKIE)


def gettext(message: str, **variables: Any) -> str:
    """`message` in the current language, with `%(name)s` placeholders filled."""
    text = catalog(current()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The singular or plural of a message in the current language; `num` is `n`."""
    text = catalog(current()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def markup(message: str, **variables: Any) -> Markup:
    """`message` in the current language as HTML, with `%(name)s` placeholders filled and
    escaped (unless they are Markup already): a sentence that links names."""
    return Markup(catalog(current()).gettext(message)) % variables


def nmarkup(singular: str, plural: str, n: int, **variables: Any) -> Markup:
    """`ngettext` as HTML, placeholders escaped as in `markup`; `num` is `n`."""
    return Markup(catalog(current()).ngettext(singular, plural, n)) % {"num": n, **variables}


def N_(message: str) -> str:
    """Marks a message to translate where it is used, not where it is defined (a constant
    read at import time, before any request has a language)."""
    return message


@contextmanager
def using(language: str) -> Iterator[None]:
    """Everything worded inside the block is in `language` (tests, and mail to a member
    whose language is known)."""
    token = _language.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _language.reset(token)


_ = gettext


def template_gettext(message: str) -> str:
    """`message` in the current language, its placeholders left for the template to fill."""
    return catalog(current()).gettext(message)


def template_ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural in the current language, its placeholders left for the
    template to fill (`num` among them)."""
    return catalog(current()).ngettext(singular, plural, n)


def accepted(header: str) -> list[str]:
    """The languages of an Accept-Language header, most wanted first."""
    wanted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:MAX_ACCEPT].split(",")):
        tag, _sep, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and weight > 0:
            wanted.append((-weight, index, tag.strip().replace("-", "_")))
    return [tag for _w, _i, tag in sorted(wanted)]


def chosen(cookie: str | None, accept_language: str) -> str:
    """The reader's choice if it is one we have, else their browser's best match, else
    English."""
    if cookie in LANGUAGES:
        return cookie
    match = negotiate_locale(accepted(accept_language), list(LANGUAGES), sep="_")
    return (match or DEFAULT).split("_")[0]


def _header(scope: Scope, wanted: bytes) -> str:
    """One request header's value ('' when absent)."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    return next((value.decode("latin-1") for name, value in headers if name == wanted), "")


def _cookie(scope: Scope) -> str | None:
    """The reader's chosen language from the request's cookies, if any."""
    for pair in _header(scope, b"cookie").split(";"):
        key, _sep, value = pair.strip().partition("=")
        if key == COOKIE:
            return value
    return None


class Language:
    """Sets the request's language for everything that answers it, and says it in
    Content-Language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        language = chosen(_cookie(scope), _header(scope, b"accept-language"))
        token = _language.set(language)

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # A page rendered in its member's own language says so itself.
                if not any(name.lower() == b"content-language" for name, _v in headers):
                    headers.append((b"content-language", language.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_language)
        finally:
            _language.reset(token)


router = APIRouter(include_in_schema=False)


def _local(back: str) -> str:
    """`back` if it is a path on this site, else the home page: no redirect elsewhere."""
    parts = urlsplit(back)
    if parts.scheme or parts.netloc or not back.startswith("/") or back.startswith("//"):
        return "/"
    return back


@router.post("/language")
def choose_language(
    node: NodeDep, account: MaybeAccountDep, language: str = Form(""), back: str = Form("/")
) -> RedirectResponse:
    """Remember the reader's language in a cookie (and with a member's account) and go back
    to the page they were on."""
    chose = language if language in LANGUAGES else None
    if account is not None:
        node.accounts.set_language(account, chose)
    response = RedirectResponse(_local(back), 303)
    remember(response, chose)
    return response
