"""Three real nodes on loopback replicate a space: members of each node join it and write
concurrently, one node is stopped and started again, and at the end every node holds the
same events in the same order and derives the same state from them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from federation.cluster import NodeProcess, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[NodeProcess]]:
    nodes = [NodeProcess(tmp_path, name) for name in ("north", "east", "west")]
    try:
        for node in nodes:
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.close()


def _converged(nodes: list[NodeProcess], space: str, events: int) -> bool:
    states = [node.state(space) for node in nodes]
    return len(states[0]["log"]) == events and all(s == states[0] for s in states)


def _write(node: NodeProcess, username: str, space: str, count: int) -> None:
    for i in range(count):
        node.act(username, space, "post.create", {"text": f"{username} {i}"})


def test_three_nodes_converge_through_concurrency_and_a_restart(
    cluster: list[NodeProcess],
) -> None:
    north, east, west = cluster
    north.sign_up("ana")
    east.sign_up("ben")
    west.sign_up("cyd")
    space = north.create_space("ana", "Seed library")
    east.replicate("ben", space, north)
    west.replicate("cyd", space, north)
    wait_for(lambda: east.holds(space) and west.holds(space), what="the backfills")
    east.act("ben", space, "member.join", {})
    west.act("cyd", space, "member.join", {})
    wait_for(lambda: len(north.state(space)["members"]) == 3, what="both joins at north")

    writers = [threading.Thread(target=_write, args=(node, name, space, 15))
               for node, name in ((north, "ana"), (east, "ben"), (west, "cyd"))]  # fmt: skip
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    west.stop()
    _write(north, "ana", space, 5)
    _write(east, "ben", space, 5)
    west.start()
    _write(west, "cyd", space, 3)

    # space.create + 3 homes + 2 joins + 45 + 10 + 3 posts
    total = 1 + 3 + 2 + 45 + 10 + 3
    wait_for(lambda: _converged(cluster, space, total), 60, "all three nodes to converge")
    state = north.state(space)
    assert all(accepted for _, accepted in state["log"])
    assert sorted(m["status"] for m in state["members"]) == ["member"] * 3
