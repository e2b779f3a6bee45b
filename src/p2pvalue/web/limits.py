"""Request-rate limits: one token bucket per (kind, key), where the key is something a
caller cannot choose afresh for each request — an authenticated account, the address a
request came from, a username tried at login, a node whose signature was verified.

One app-wide dependency (`rate_limits`) sorts every request: logins are counted per
address and per username, federation requests per address (and, once their signature is
verified, per node: `check_node`), every other write (POST, PUT, PATCH, DELETE) per address
and per account. Over a limit is 429 `rate_limited` with a `Retry-After` header; a page
shows the same as a sentence. The buckets are the node's (`rates.Limiter`): in memory for
one process, in Redis when the node's workers share it (`rates.SharedLimiter`), so that a
limit holds across every worker.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection, Request

from p2pvalue.errors import P2PError
from p2pvalue.node import Node
from p2pvalue.rates import Limiter, RateLimited
from p2pvalue.web.auth import SAFE_METHODS, optional_account

__all__ = ["Limiter", "RateLimited", "check_node", "rate_limits"]
LOGIN_PATHS = frozenset({"/login", "/api/v1/sessions"})


def limiter_of(connection: HTTPConnection) -> Limiter:
    node: Node = connection.app.state.node
    return node.limiter


def address_of(connection: HTTPConnection) -> str:
    """The address the request came from (as the server saw it, or as a trusted proxy
    said: uvicorn's `--proxy-headers`)."""
    return connection.client.host if connection.client else "unknown"


async def rate_limits(connection: HTTPConnection) -> None:
    """The app-wide dependency: count the request against the limits of its kind."""
    if connection.scope["type"] != "http":
        return
    limiter, address, path = limiter_of(connection), address_of(connection), connection.url.path
    if path.startswith("/federation/"):
        limiter.check("federation_per_ip", address, "too many requests from your address")
        return
    if connection.scope["method"] in SAFE_METHODS:
        return
    assert isinstance(connection, Request)
    if path in LOGIN_PATHS:
        limiter.check("logins_per_ip", address, "too many logins from your address")
        username = await _username(connection)
        if username:
            limiter.check("logins_per_username", username, "too many logins as this user")
    else:
        limiter.check("writes_per_ip", address, "too many requests from your address")
        try:
            account = optional_account(connection)
        except P2PError:
            return  # the route refuses the credentials itself
        if account is not None:
            limiter.check("writes_per_account", account.did, "too many actions: slow down")


def check_node(connection: HTTPConnection, node: str) -> None:
    """Count a federation request against the verified node that signed it."""
    message = "too many requests from your node: slow down"
    limiter_of(connection).check("federation_per_node", node, message)


async def _username(request: Request) -> str | None:
    """The username a login names (the JSON API's body or the page's form), normalised as
    accounts are; None if there is none to read (the route then refuses the request)."""
    found: Any = None
    try:
        if request.url.path.startswith("/api/"):
            body = await request.json()
            found = body.get("username") if isinstance(body, dict) else None
        else:
            found = (await request.form()).get("username")
    except Exception:  # a body that is no JSON or no form: the route says what is wrong
        return None
    return found.strip().lower()[:200] if isinstance(found, str) else None
