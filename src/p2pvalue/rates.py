"""Token buckets by kind and key: how often one account, address, username, verified node
or author may do a thing (the kinds are `config.RateLimits`' fields). The web layer counts
requests with it (`web.limits`), the node counts refused events.

In memory by default (`Limiter`). A node whose workers share Redis counts in Redis
(`SharedLimiter`): one Lua script refills and takes from a bucket atomically, on Redis'
clock, so N workers allow what one would, not N times as much. While Redis cannot be
reached, each worker counts in its own memory again (looser, never unlimited) and tries
Redis anew after a few seconds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import redis

from p2pvalue.config import Rate, RateLimits
from p2pvalue.errors import P2PError

LOG = logging.getLogger(__name__)
MAX_KEYS = 100_000  # per kind; the least recently used bucket is forgotten beyond it


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
        return self._level(kind, key, take=True)

    def _wait(self, kind: str, key: str) -> int | None:
        return self._level(kind, key, take=False)

    def _level(self, kind: str, key: str, *, take: bool) -> int | None:
        rate: Rate = getattr(self.limits, kind)
        now = self._clock()
        with self._lock:
            buckets = self._buckets.setdefault(kind, OrderedDict())
            tokens, then = buckets.pop(key, (float(rate.burst), now))
            tokens = min(float(rate.burst), tokens + (now - then) * rate.per_minute / 60)
            wait = None if tokens >= 1 else max(1, math.ceil((1 - tokens) * 60 / rate.per_minute))
            buckets[key] = (tokens - 1 if take and wait is None else tokens, now)
            while len(buckets) > MAX_KEYS:
                buckets.popitem(last=False)
        return wait

    def guard(self, kind: str, key: str, message: str) -> None:
        """RateLimited if `key`'s bucket of `kind` is empty, taking nothing: for counts
        that only some outcomes spend (`spend`), such as refused events."""
        wait = self._wait(kind, key)
        if wait is not None:
            raise RateLimited(wait, message)

    def spend(self, kind: str, key: str, count: int = 1) -> None:
        """Take up to `count` tokens from `key`'s bucket of `kind`."""
        for _ in range(count):
            if self.take(kind, key) is not None:
                return

    def close(self) -> None:
        """Let go of what the buckets are kept in (nothing, in memory)."""


# KEYS[1]: the bucket; ARGV: burst, tokens a second, 1 to take a token (0 to look).
# Returns 0 if a token was there (and taken), else the seconds until there is one.
BUCKET = """
local burst, per_second, take = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local found = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(found[1]) or burst
local at = tonumber(found[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * per_second)
local wait = 0
if tokens < 1 then
  wait = math.max(1, math.ceil((1 - tokens) / per_second))
elseif take == 1 then
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / per_second) + 1)
return wait
"""
REDIS_TIMEOUT_S = 0.5
RETRY_REDIS_S = 5.0


class SharedLimiter(Limiter):
    """Token buckets in Redis, shared by every worker of the node (`prefix` keeps one
    node's buckets apart from another's); in memory while Redis cannot be reached."""

    def __init__(
        self, limits: RateLimits, url: str, prefix: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        super().__init__(limits, clock)
        kwargs = {"socket_timeout": REDIS_TIMEOUT_S, "socket_connect_timeout": REDIS_TIMEOUT_S}
        # Typed loosely: redis-py's stubs type every reply as a union of all replies.
        self._redis: Any = redis.Redis.from_url(url, **kwargs)
        self._bucket = self._redis.register_script(BUCKET)
        self._prefix = prefix
        self._local_until = 0.0  # Redis failed: count in memory until then

    def _level(self, kind: str, key: str, *, take: bool) -> int | None:
        if self._clock() < self._local_until:
            return super()._level(kind, key, take=take)
        rate: Rate = getattr(self.limits, kind)
        try:
            wait = self._bucket(
                keys=[f"{self._prefix}{kind}:{key}"],
                args=[rate.burst, rate.per_minute / 60, int(take)],
            )
        except redis.RedisError:
            LOG.exception("rate limits are counted by this worker alone for %g s", RETRY_REDIS_S)
            self._local_until = self._clock() + RETRY_REDIS_S
            return super()._level(kind, key, take=take)
        return int(wait) or None

    def close(self) -> None:
        self._redis.close()


def limiter_for(limits: RateLimits, redis_url: str | None, node_did: str) -> Limiter:
    """The node's limiter: shared through Redis when the node has a Redis URL."""
    if redis_url is None:
        return Limiter(limits)
    return SharedLimiter(limits, redis_url, f"p2pvalue:{node_did}:rate:")
