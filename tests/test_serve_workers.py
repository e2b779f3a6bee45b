"""`p2pvalue serve --workers N` on PostgreSQL and Redis, as real processes: one worker leads
the background work; killed with -9 in the middle of closing due claims, another takes
over and finishes, and every claim is closed exactly once. Two `serve` processes with
copies of one data folder, as on two machines: one leads, and a post accepted by one
reaches a feed stream held by the other. SQLite refuses several workers."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import redis_or_skip
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
    return redis_or_skip(9)


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


@pytest.fixture
def machines(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[tuple[list[str], Path]]:
    """Two `p2pvalue serve` processes on one database and one Redis, as on two machines
    (each with its own copy of the data folder); their URLs and the data folder."""
    data = init_data_dir(tmp_path / "node", postgres_url).data_dir
    copy = tmp_path / "copy"
    shutil.copytree(data, copy)
    ports = [free_port(), free_port()]
    servers = []
    for folder, port in zip((data, copy), ports, strict=True):
        command = [sys.executable, "-m", "p2pvalue", "serve", "--data", str(folder),
                   "--redis-url", redis_url, "--port", str(port)]  # fmt: skip
        with (folder / "serve.log").open("ab") as out:
            servers.append(subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT))
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            wait_for(functools.partial(_healthy, url), START_SECONDS, f"{url} to start")
        yield urls, data
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_workers_on_two_machines_share_posts_live_and_one_leads(
    machines: tuple[list[str], Path],
) -> None:
    (url_a, url_b), _ = machines
    wait_for(
        lambda: sum(httpx.get(f"{u}/healthz").json()["leads"] for u in (url_a, url_b)) == 1,
        30, "one leader",
    )  # fmt: skip
    with (
        httpx.Client(base_url=url_b, timeout=30) as on_b,
        httpx.Client(base_url=url_a, timeout=30) as on_a,
    ):
        ana = _member(on_b, "ana")
        ben = _member(on_a, "ben")
        space = on_b.post("/api/v1/spaces", json={"name": "Live"}, headers=ana).json()["id"]
        assert on_a.put(f"/api/v1/me/follows/spaces/{space}", headers=ben).is_success
        heard: list[str] = []
        ready, done = threading.Event(), threading.Event()

        def read() -> None:
            with on_a.stream("GET", "/api/v1/me/feed/stream", headers=ben) as response:
                for line in response.iter_lines():
                    ready.set()
                    if line.startswith('data: {"id"'):
                        heard.append(json.loads(line.removeprefix("data: "))["id"])
                        done.set()
                        return

        threading.Thread(target=read, daemon=True).start()
        assert ready.wait(30)
        time.sleep(0.2)
        action = {"type": "post.create", "content": {"text": "from the other machine"}}
        started = time.monotonic()
        posted = on_b.post(f"/api/v1/spaces/{space}/actions", json=action, headers=ana)
        assert posted.status_code == 201, posted.text
        assert done.wait(5)
        assert time.monotonic() - started < 1.5  # the answer to the post, then the item
        assert heard == [posted.json()["id"]]


def _member(http: httpx.Client, name: str) -> dict[str, str]:
    body = {"username": name, "password": "correct horse battery"}
    assert http.post("/api/v1/accounts", json=body).status_code == 201
    token = http.post("/api/v1/sessions", json=body).json()["token"]
    return {"Authorization": f"Bearer {token}"}
