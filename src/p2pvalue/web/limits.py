"""Request-rate limits: one token bucket per (kind, key), where the key is something a
caller cannot choose afresh for each request — an authenticated account, the address a
request came from, a username tried at login, a node whose signature was verified.

One app-wide dependency (`rate_limits`) sorts every request: logins are counted per
address and per username, federation requests per address (and, once their signature is
verified, per node: `check_node`), every other write (POST, PUT, PATCH, DELETE) per address
and per account. Over a limit is 429 `rate_limited` with a `Retry-After` header; a page
shows the same as a sentence. Buckets live in memory, one set per running app: enough for
one process (several workers each count on their own, which only loosens the limits).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.requests import HTTPConnection, Request

from p2pvalue.config import Rate, RateLimits
from p2pvalue.errors import P2PError
from p2pvalue.web.auth import SAFE_METHODS, optional_account

MAX_KEYS = 100_000  # per kind; the least recently used bucket is forgotten beyond it
LOGIN_PATHS = frozenset({"/login", "/api/v1/sessions"})


class RateLimited(P2PError):
    """Too many requests from one account, address, username or node."""

    status = 429

    def __init__(self, retry_after: int, message: str) -> None:
        super().__init__("rate_limited", message)
        self.retry_after = retry_after


class Limiter:
    """Token buckets by kind and key, thread-safe; `limits` may be replaced by tests."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, OrderedDict[str, tuple[float, float]]] = {}

    def check(self, kind: str, key: str, message: str) -> None:
        """Take one request of `key` from its bucket of `kind` (a `RateLimits` field);
        RateLimited, saying when to try again, if the bucket is empty."""
        wait = self.take(kind, key)
        if wait is not None:
            raise RateLimited(wait, message)

    def take(self, kind: str, key: str) -> int | None:
        """Take one token; None if there was one, else the seconds until there is."""
        rate: Rate = getattr(self.limits, kind)
        now = self._clock()
        with self._lock:
            buckets = self._buckets.setdefault(kind, OrderedDict())
            tokens, then = buckets.pop(key, (float(rate.burst), now))
            tokens = min(float(rate.burst), tokens + (now - then) * rate.per_minute / 60)
            if tokens >= 1:
                buckets[key] = (tokens - 1, now)
                wait = None
            else:
                buckets[key] = (tokens, now)
                wait = max(1, math.ceil((1 - tokens) * 60 / rate.per_minute))
            while len(buckets) > MAX_KEYS:
                buckets.popitem(last=False)
        return wait


def limiter_of(connection: HTTPConnection) -> Limiter:
    limiter: Limiter = connection.app.state.limiter
    return limiter


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
