"""Who is asking: a bearer token for the API, a session cookie for pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from p2pvalue.accounts import Account
from p2pvalue.errors import Unauthorized
from p2pvalue.node import Node

COOKIE = "p2pvalue_session"


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def optional_account(request: Request) -> Account | None:
    """The account behind the request's bearer token or session cookie, if any."""
    node = node_of(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        account = node.accounts.authenticate(header[7:].strip(), "bearer")
        if account is None:
            raise Unauthorized("bad_token", "the bearer token is unknown or expired")
        return account
    cookie = request.cookies.get(COOKIE)
    return node.accounts.authenticate(cookie, "cookie") if cookie else None


def required_account(account: Annotated[Account | None, Depends(optional_account)]) -> Account:
    if account is None:
        raise Unauthorized("not_authenticated", "log in or send a bearer token")
    return account


NodeDep = Annotated[Node, Depends(node_of)]
AccountDep = Annotated[Account, Depends(required_account)]
MaybeAccountDep = Annotated[Account | None, Depends(optional_account)]
