"""A writer killed with SIGKILL mid-stream leaves whole batches only, and every promise kept."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from community import projections_of
from sqlalchemy import func, select

from p2pvalue import audit
from p2pvalue.config import init_data_dir
from p2pvalue.events.event import Event, build_event, now_ms
from p2pvalue.events.keys import KeyPair
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.store.schema import event_status, events, heads, pending_events

WRITER = Path(__file__).with_name("crash_writer.py")
CHAIN = 800
BATCH = 3
KILL_AFTER = 50
ROUNDS = 3


def signed_chain(length: int) -> list[Event]:
    """A space.create and a linear chain of posts on it, all by one founder."""
    founder = KeyPair(hashlib.sha256(b"crash-test founder").digest())
    ts = now_ms() - 60_000
    content = {"name": "Crash test", "charter": default_charter()}
    chain = [build_event(founder, "space.create", content, space=None, ts=ts)]
    for depth in range(1, length):
        post = {"text": f"post {depth}"}
        prev = [chain[-1].id]
        chain.append(
            build_event(founder, "post.create", post, space=chain[0].id, prev=prev, depth=depth)
        )
    return chain


def run_until_killed(
    data: Path, log: Path, database_url: str | None, kill_after: int
) -> tuple[list[str], str]:
    """Start the writer and SIGKILL it after `kill_after` acknowledgements.

    Every id it acknowledged (including lines still in the pipe) and its stderr.
    """
    command = [sys.executable, str(WRITER), str(data), str(log), str(BATCH)]
    writer = subprocess.Popen(
        [*command, *([database_url] if database_url else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert writer.stdout is not None
    acknowledged: list[str] = []
    while len(acknowledged) < kill_after:
        line = writer.stdout.readline()
        if not line:
            break
        acknowledged.append(line.decode().strip())
    os.kill(writer.pid, signal.SIGKILL)
    rest, errors = writer.communicate(timeout=60)
    assert writer.returncode == -signal.SIGKILL, errors.decode()
    return acknowledged + rest.decode().split(), errors.decode()


@pytest.mark.slow
def test_a_killed_writer_leaves_whole_batches(tmp_path: Path, database_url: str | None) -> None:
    config = init_data_dir(tmp_path / "node", database_url)
    chain = signed_chain(CHAIN)
    log = tmp_path / "events.jsonl"
    log.write_bytes(b"".join(event.body + b"\n" for event in chain))
    ids = [event.id for event in chain]
    stored: list[str] = []

    for _ in range(ROUNDS):
        kill_after = len(stored) + KILL_AFTER
        acknowledged, errors = run_until_killed(config.data_dir, log, database_url, kill_after)

        assert kill_after <= len(acknowledged) < CHAIN, f"not killed mid-stream: {errors}"
        assert acknowledged == ids[: len(acknowledged)]
        with Node(config) as node:
            stored = _stored_ids(node)
            assert stored == ids[: len(stored)], "events are stored in the order they came"
            assert len(stored) % BATCH == 0, "a batch was stored in part"
            assert len(stored) >= len(acknowledged), "an acknowledged event was lost"
            _assert_consistent(node, chain[0].id, stored)

    with Node(config) as node:
        rest = node.ingest([event.wire for event in chain[len(stored) :]])
        assert {outcome.status for outcome in rest} == {"accepted"}
        assert node.space(chain[0].id).accepted == CHAIN
        assert audit.verify(node, chain[0].id) is None


def _stored_ids(node: Node) -> list[str]:
    with node.engine.begin() as conn:
        return list(conn.scalars(select(events.c.id).order_by(events.c.seq)))


def _assert_consistent(node: Node, space: str, stored: list[str]) -> None:
    """Every stored event is decided and counted; rebuilding changes no projection."""
    with node.engine.begin() as conn:
        decided = set(conn.scalars(select(event_status.c.id)))
        accepted = conn.scalar(
            select(func.count()).select_from(event_status).where(event_status.c.accepted)
        )
        tips = list(conn.scalars(select(heads.c.event_id)))
        held = conn.scalar(select(func.count()).select_from(pending_events))
    assert decided == set(stored), "every stored event has exactly one decision"
    assert (accepted, held) == (len(stored), 0)
    assert tips == [stored[-1]]
    summary = node.space(space)
    assert (summary.events, summary.accepted) == (len(stored), len(stored))
    assert audit.verify(node, space) is None
    before = projections_of(node)
    audit.rebuild(node)
    assert projections_of(node) == before
