"""Token buckets by kind and key, in memory: how often one account, address, username,
verified node or author may do a thing (the kinds are `config.RateLimits`' fields). The
web layer counts requests with it (`web.limits`), the node counts refused events."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from p2pvalue.config import Rate, RateLimits
from p2pvalue.errors import P2PError

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
