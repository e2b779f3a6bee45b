"""`p2pvalue serve`, as a real process, stops within 5 seconds of SIGTERM or Ctrl-C (SIGINT)
even while it is closing thousands of due claims, and leaves nothing half-written: every
stored event verifies, a rebuild finds the same events, and each accepted claim has the
one `contribution.close` that accepted it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from federation.cluster import STARTUP_SECONDS, free_port, wait_for
from p2pvalue import audit
from p2pvalue.accounting.service import Value
from p2pvalue.config import NodeConfig, init_data_dir, load_config
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

CLAIMS = 3000
STOP_SECONDS = 5.0
SWEEP_SECONDS = 120.0  # for the first claims to be accepted, on a busy machine


@dataclass(frozen=True)
class Prepared:
    config: NodeConfig
    space: str
    events: int  # stored events of the space before the node was served


@pytest.fixture
def prepared(tmp_path: Path, database_url: str | None) -> Prepared:
    """A data folder whose space accepts claims lazily (a window of 0 hours) and holds
    `CLAIMS` pending claims that the founder's node, its timekeeper, already witnessed:
    every one of them is due as soon as the node is served."""
    config = init_data_dir(tmp_path / "node", database_url)
    with Node(config) as node:
        alice, bob = (node.accounts.register(name, "correct horse") for name in ("alice", "bob"))
        charter = default_charter("open")
        charter["value"]["acceptance"] = {"approvals": 2, "lazy_hours": 0}
        space = str(node.create_space(alice, "Lazy", charter=charter).id)
        node.act(bob, space, "member.join", {})
        key = node.accounts.key_of(bob)
        claims = [(key, "contribution.claim", _claim(index)) for index in range(CLAIMS)]
        node.writer.act_many(space, claims)
        node.timekeeper.tick()
        assert not node.registry.awaiting(space, _authority(node, space))
        events = node.space(space).events
    return Prepared(config, space, events)


def _claim(index: int) -> dict[str, Any]:
    return {"kind": "docs", "description": f"FAQ entry {index}", "quantity": 1, "unit": "hours"}


def _authority(node: Node, space: str) -> Any:
    log = node.writer.log(space)
    assert log is not None and log.authority is not None
    return log.authority


@pytest.fixture
def served(prepared: Prepared) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """`python -m p2pvalue serve` on the prepared folder, on a free port; killed at the end
    if the test left it running."""
    port, log = free_port(), prepared.config.data_dir / "serve.log"
    command = [sys.executable, "-m", "p2pvalue", "serve", "--data", str(prepared.config.data_dir),
               "--port", str(port)]  # fmt: skip
    if prepared.config.database_url:
        command += ["--database-url", prepared.config.database_url]
    with log.open("ab") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield server, f"http://127.0.0.1:{port}", log
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_serve_stops_quickly_mid_sweep_and_leaves_a_whole_log(
    prepared: Prepared,
    served: tuple[subprocess.Popen[bytes], str, Path],
    signal_number: signal.Signals,
) -> None:
    server, url, log = served
    listing = f"{url}/api/v1/spaces/{prepared.space}/claims"
    seen: dict[str, int] = {}

    def sweeping() -> bool:
        if server.poll() is not None:
            raise AssertionError(f"the node exited: {log.read_text()[-2000:]}")
        try:
            seen.update(httpx.get(listing, params={"limit": 1}, timeout=30).json()["statuses"])
        except httpx.HTTPError:
            return False
        assert seen["pending"], f"the sweep ended before the signal ({seen}): make more claims"
        return seen["accepted"] > 0

    wait_for(sweeping, STARTUP_SECONDS + SWEEP_SECONDS, "the sweep to accept a first claim")
    asked = time.monotonic()
    server.send_signal(signal_number)
    try:
        code = server.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"still running {STOP_SECONDS} s after {signal_number.name}: {log.read_text()[-3000:]}"
        ) from None
    stopped = time.monotonic() - asked
    assert code == 0, f"exit code {code} after {signal_number.name}: {log.read_text()[-3000:]}"
    assert stopped < STOP_SECONDS
    _assert_whole(prepared)


def _assert_whole(prepared: Prepared) -> None:
    """Every event verifies, a rebuild derives the same, and the ledger's accepted claims
    are exactly the claims a stored close accepted: some, not all (it stopped mid-sweep)."""
    config = load_config(prepared.config.data_dir, prepared.config.database_url)
    with Node(config) as node:
        space = prepared.space
        assert audit.verify(node, space) is None
        before = node.space(space).events
        closes = _accepted_closes(node, space)
        accepted = {
            c.id
            for c in node.service(Value).ledger(space).claims.values()
            if c.status == "accepted"
        }
        assert accepted == closes
        assert 0 < len(accepted) < CLAIMS
        assert before == prepared.events + len(closes)
        assert audit.rebuild(node)["events"] >= before
        assert node.space(space).events == before
        rebuilt = {
            c.id
            for c in node.service(Value).ledger(space).claims.values()
            if c.status == "accepted"
        }
        assert rebuilt == accepted


def _accepted_closes(node: Node, space: str) -> set[str]:
    """The claims named by the space's accepted `contribution.close` events."""
    closed: set[str] = set()
    after = -1
    while page := node.events(space, after=after, limit=500):
        closes = [e.content for e in page if e.type == "contribution.close" and e.accepted]
        closed |= {content["claim"] for content in closes if content is not None}
        last = page[-1].position
        assert last is not None
        after = last
    return closed
