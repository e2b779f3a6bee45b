"""Rate limits shared by a node's workers: with Redis, two nodes on one data folder (the
workers of one node) count into the same buckets, so a limit holds across them, for the
login throttle through real HTTP too; without Redis, or while Redis is away, each counts
in its own memory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from conftest import LIGHT_HASHING, redis_or_skip
from p2pvalue.config import Rate, RateLimits, init_data_dir, load_config
from p2pvalue.node import Node
from p2pvalue.rates import Limiter, SharedLimiter, limiter_for
from p2pvalue.web.app import SERVER_SETTINGS, create_app
from serving import loopback, served

NO_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1
LIMITS = RateLimits(logins_per_username=Rate(3, 6), writes_per_account=Rate(4, 6))


@pytest.fixture
def redis_url() -> str:
    return redis_or_skip(11)


@pytest.fixture
def workers(tmp_path: Path, redis_url: str) -> Iterator[list[Node]]:
    """Two nodes on one data folder sharing Redis, as two workers of one node are."""
    init_data_dir(tmp_path / "node")
    config = replace(load_config(tmp_path / "node", redis_url=redis_url), limits=LIMITS)
    with ExitStack() as stack:
        yield [stack.enter_context(Node(config, password_hasher=LIGHT_HASHING)) for _ in "ab"]


def test_a_bucket_is_shared_by_the_workers(workers: list[Node]) -> None:
    a, b = workers
    assert isinstance(a.limiter, SharedLimiter)
    taken = [node.limiter.take("writes_per_account", "did:key:z1") for node in (a, b, a, b)]
    assert taken == [None] * 4
    wait = b.limiter.take("writes_per_account", "did:key:z1")
    assert wait is not None and 1 <= wait <= 10  # a token a 10 s at 6 a minute
    assert a.limiter.take("writes_per_account", "did:key:z1") is not None
    assert a.limiter.take("writes_per_account", "did:key:z2") is None  # another key's bucket


def test_looking_at_a_shared_bucket_takes_nothing(workers: list[Node]) -> None:
    a, b = workers
    for _ in range(4):
        a.limiter.guard("writes_per_account", "did:key:z3", "slow down")
    assert [b.limiter.take("writes_per_account", "did:key:z3") for _ in range(5)][-2:] == [
        None, 10,
    ]  # fmt: skip


def test_the_login_throttle_holds_across_workers(workers: list[Node]) -> None:
    workers[0].accounts.register("alice", "correct horse battery")
    with ExitStack() as stack:
        urls = [
            stack.enter_context(served(create_app(node), loopback(), **SERVER_SETTINGS))
            for node in workers
        ]
        guess = {"username": "alice", "password": "guess"}
        answers = [
            httpx.post(f"{url}/api/v1/sessions", json=guess, timeout=30).status_code
            for url in (urls[0], urls[1], urls[0], urls[1])
        ]
    assert answers == [401, 401, 401, 429]  # three tries for the name, wherever asked


def test_without_redis_each_node_counts_in_memory(tmp_path: Path) -> None:
    assert type(limiter_for(LIMITS, None, "did:key:z")) is Limiter


def test_while_redis_is_away_a_worker_still_limits(tmp_path: Path) -> None:
    limiter = SharedLimiter(LIMITS, NO_REDIS, "p2pvalue:test:rate:")
    try:
        taken = [limiter.take("logins_per_username", "alice") for _ in range(4)]
    finally:
        limiter.close()
    assert taken[:3] == [None] * 3
    assert taken[3] is not None and taken[3] >= 1
