"""`p2pvalue serve --workers N` on PostgreSQL and Redis, as real processes: one worker leads
the background work; killed with -9 in the middle of closing due claims, another takes
over and finishes, and every claim is closed exactly once. SQLite refuses several workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from federation.cluster import free_port, wait_for
from p2pvalue import audit
from p2pvalue.accounting.service import Value
from p2pvalue.config import init_data_dir, load_config
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from test_serve_signals import _claim

pytestmark = pytest.mark.slow
CLAIMS = 1500
START_SECONDS = 240.0  # spawned workers import everything anew: slow on a loaded machine
REDIS_URL = os.environ.get("P2PVALUE_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


@dataclass(frozen=True)
class Lazy:
    data: Path
    database_url: str
    space: str


@pytest.fixture
def postgres_url(database_url: str | None) -> str:
    if database_url is None:
        pytest.skip("several workers need PostgreSQL")
    return database_url


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def lazy(tmp_path: Path, postgres_url: str) -> Lazy:
    """A node on PostgreSQL whose space holds `CLAIMS` claims its timekeeper witnessed,
    each due to be accepted as soon as the node is served (a window of 0 hours)."""
    config = init_data_dir(tmp_path / "node", postgres_url)
    with Node(config) as node:
        alice, bob = (node.accounts.register(name, "correct horse") for name in ("alice", "bob"))
        charter = default_charter("open")
        charter["value"]["acceptance"] = {"approvals": 2, "lazy_hours": 0}
        space = str(node.create_space(alice, "Lazy", charter=charter).id)
        node.act(bob, space, "member.join", {})
        key = node.accounts.key_of(bob)
        node.writer.act_many(space, [(key, "contribution.claim", _claim(i)) for i in range(CLAIMS)])
        node.timekeeper.tick()
    return Lazy(config.data_dir, postgres_url, space)


@pytest.fixture
def workers(lazy: Lazy, redis_url: str) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """`p2pvalue serve --workers 2 --json-logs` on the lazy node; its URL and its log."""
    port, log = free_port(), lazy.data / "serve.log"
    command = [sys.executable, "-m", "p2pvalue", "serve", "--data", str(lazy.data),
               "--database-url", lazy.database_url, "--redis-url", redis_url,
               "--port", str(port), "--workers", "2", "--json-logs"]  # fmt: skip
    with log.open("ab") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield server, f"http://127.0.0.1:{port}", log
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def leaders(log: Path) -> list[int]:
    """The workers that said they lead the background work, in order (JSON log lines)."""
    found = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry["message"].endswith("leads the background work"):
                found.append(entry["worker"])
    return found


def test_a_killed_leader_is_replaced_and_each_claim_closes_exactly_once(
    lazy: Lazy, workers: tuple[subprocess.Popen[bytes], str, Path]
) -> None:
    server, url, log = workers
    listing = f"{url}/api/v1/spaces/{lazy.space}/claims"
    statuses: dict[str, int] = {}

    def counted() -> bool:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            statuses.update(httpx.get(listing, params={"limit": 1}, timeout=30).json()["statuses"])
        except httpx.HTTPError:
            return False
        return True

    wait_for(lambda: counted() and statuses["accepted"] > 0, START_SECONDS, "a first close")
    first = leaders(log)
    assert len(first) == 1, first
    assert statuses["pending"] > 0, f"the sweep ended before the kill ({statuses})"
    os.kill(first[0], signal.SIGKILL)
    wait_for(lambda: len(leaders(log)) == 2, START_SECONDS, "another worker to lead")
    second = leaders(log)[1]
    assert second != first[0]
    wait_for(lambda: counted() and statuses["pending"] == 0, START_SECONDS, "every close")
    _assert_metrics_add_up(url)
    server.send_signal(signal.SIGTERM)
    assert server.wait(60) == 0
    _assert_closed_once(lazy)


def _assert_metrics_add_up(url: str) -> None:
    """/metrics counts the requests every worker answered (prometheus-client's
    multiprocess mode), the killed one's included."""
    checks = 20
    for _ in range(checks):
        assert httpx.get(f"{url}/healthz", timeout=30).json()["status"] == "ok"
    body = httpx.get(f"{url}/metrics", timeout=30).text
    answered = sum(
        float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
        if line.startswith("p2pvalue_http_requests_total{") and 'route="/healthz"' in line
    )  # fmt: skip
    assert answered == checks
    claims = sum(
        float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
        if line.startswith("p2pvalue_http_requests_total{") and "/claims" in line
    )  # fmt: skip
    assert claims >= 3  # asked of both leaders' times, on whichever worker


def _assert_closed_once(lazy: Lazy) -> None:
    with Node(load_config(lazy.data, lazy.database_url)) as node:
        assert audit.verify(node, lazy.space) is None
        closes = _closes(node, lazy.space)
        assert len(closes) == CLAIMS  # not one claim closed twice, even rejected
        assert len(set(closes)) == CLAIMS
        claims = node.service(Value).ledger(lazy.space).claims.values()
        assert {c.id for c in claims if c.status == "accepted"} == set(closes)


def _closes(node: Node, space: str) -> list[str]:
    """The claim each stored `contribution.close` names, accepted or not."""
    found: list[str] = []
    after = -1
    while page := node.events(space, after=after, limit=500):
        found += [e.content["claim"] for e in page
                  if e.type == "contribution.close" and e.content is not None]  # fmt: skip
        after = page[-1].position or after
    return found


def test_sqlite_refuses_several_workers(tmp_path: Path) -> None:
    init_data_dir(tmp_path / "node")
    done = subprocess.run(
        [sys.executable, "-m", "p2pvalue", "serve", "--data", str(tmp_path / "node"),
         "--workers", "2"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "SQLite serves one process" in done.stderr
