"""Who is asking: a bearer token for the API, a session cookie for pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from p2pvalue.accounts import Account
from p2pvalue.errors import Forbidden, Unauthorized
from p2pvalue.node import Node

COOKIE = "p2pvalue_session"
ACCOUNT = "p2pvalue.account"  # where a request keeps the account it was authenticated as
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def optional_account(request: Request) -> Account | None:
    """The account behind the request's bearer token, or, for pages only, its session cookie.

    The JSON API takes only bearer tokens, and a page's form post with the cookie must come
    from this node's own pages (its Origin, when the browser sends one, is this host): a
    cookie alone never lets another site act for the member. Looked up once a request (the
    rate limits, the private-space guard and the route all ask).
    """
    if ACCOUNT in request.scope:
        found: Account | None = request.scope[ACCOUNT]
        return found
    account = _authenticated(request)
    request.scope[ACCOUNT] = account
    return account


def _authenticated(request: Request) -> Account | None:
    node = node_of(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        account = node.accounts.authenticate(header[7:].strip(), "bearer")
        if account is None:
            raise Unauthorized("bad_token", "the bearer token is unknown or expired")
        return account
    cookie = request.cookies.get(COOKIE)
    if not cookie or request.url.path.startswith("/api/"):
        return None
    if request.method not in SAFE_METHODS and not _same_origin(request):
        raise Forbidden("cross_origin", "a form from another site cannot act for you")
    return node.accounts.authenticate(cookie, "cookie")


def same_origin_form(request: Request) -> None:
    """For the forms that need no session (log in, sign up, log out): refuse a post from
    another site's page, which could otherwise log a visitor into the attacker's account
    (login CSRF) or out of their own."""
    if not _same_origin(request):
        raise Forbidden("cross_origin", "a form from another site cannot act for you")


def current_token(request: Request) -> str | None:
    """The token the request authenticates with: its bearer token, else its session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(COOKIE)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def required_account(account: Annotated[Account | None, Depends(optional_account)]) -> Account:
    if account is None:
        raise Unauthorized("not_authenticated", "log in or send a bearer token")
    return account


NodeDep = Annotated[Node, Depends(node_of)]
AccountDep = Annotated[Account, Depends(required_account)]
MaybeAccountDep = Annotated[Account | None, Depends(optional_account)]
