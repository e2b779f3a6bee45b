"""Three real nodes on loopback replicate a space: members of each node join it and write
concurrently, one node is stopped and started again, and at the end every node holds the
same events in the same order and derives the same state from them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from federation.cluster import PASSWORD, NodeProcess, running, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[NodeProcess]]:
    with running(tmp_path, "north", "east", "west") as nodes:
        yield nodes


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
    cyd = west.sign_up("cyd")
    space = north.create_space("ana", "Seed library")
    east.replicate(space, north)
    west.replicate(space, north)
    wait_for(lambda: east.holds(space) and west.holds(space), what="the backfills")
    east.act("ben", space, "member.join", {})
    west.act("cyd", space, "member.join", {})
    wait_for(lambda: len(north.state(space)["members"]["members"]) == 3,
             what="both joins at north")  # fmt: skip

    north.act("ana", space, "project.create", {"name": "Catalogue"})
    east.act("ben", space, "thread.create", {"on": {"kind": "space"}, "title": "Hours",
                                             "text": "Who opens on Saturday?"})  # fmt: skip
    claim = west.act("cyd", space, "contribution.claim", {
        "kind": "docs", "description": "labels", "quantity": 2, "unit": "hours",
        "evidence": ["https://example.org/labels"]})  # fmt: skip
    wait_for(lambda: claim in dict(north.log_ids(space)), what="the claim at north")
    north.act("ana", space, "contribution.review", {"claim": claim, "verdict": "approve"})

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

    # space.create + 3 homes + 2 joins + project, thread, claim, review + 45 + 10 + 3 posts
    total = 1 + 3 + 2 + 4 + 45 + 10 + 3
    wait_for(lambda: _converged(cluster, space, total), 60, "all three nodes to converge")
    state = north.state(space)
    assert all(accepted for _, accepted in state["log"])
    assert sorted(m["status"] for m in state["members"]["members"]) == ["member"] * 3
    assert [p["name"] for p in state["projects"]["projects"]] == ["Catalogue"]
    assert [t["title"] for t in state["threads"]["threads"]] == ["Hours"]
    assert state["values"]["members"][cyd]["value"]["num"] > 0


def test_a_member_moves_to_another_node_with_their_key(cluster: list[NodeProcess]) -> None:
    north, east, west = cluster
    north.sign_up("ana")
    ben = east.sign_up("ben")
    space = north.create_space("ana", "Tool library")
    east.replicate(space, north)
    wait_for(lambda: east.holds(space), what="east to hold the space")
    east.act("ben", space, "member.join", {})
    wait_for(lambda: len(north.state(space)["members"]["members"]) == 2,
             what="ben's join at north")  # fmt: skip
    granted = north.act("ana", space, "role.grant", {"member": ben, "role": "moderator"})
    east.act("ben", space, "post.create", {"text": "written at east"})

    exported = east.http.post("/api/v1/accounts/me/key", json={"password": PASSWORD},
                              headers=east.auth("ben")).json()  # fmt: skip
    moved = west.http.post("/api/v1/accounts", json={"username": "ben", "password": PASSWORD,
                                                     "key": exported["seed"]})  # fmt: skip
    assert (moved.status_code, moved.json()["did"]) == (201, ben)
    west.tokens["ben"] = west.http.post("/api/v1/sessions", json={
        "username": "ben", "password": PASSWORD}).json()["token"]  # fmt: skip
    west.replicate(space, north)
    wait_for(lambda: west.holds(space) and granted in dict(west.log_ids(space)),
             what="west to hold the space")  # fmt: skip
    announced = west.http.post("/api/v1/accounts/me/home", headers=west.auth("ben")).json()
    assert announced == {"spaces": [space]}
    west.act("ben", space, "post.create", {"text": "written at west"})

    def home_everywhere() -> bool:
        homes = [_home_of(node, space, ben) for node in cluster]
        return homes == [west.url] * 3

    wait_for(home_everywhere, 60, "every node to learn ben's new home")
    wait_for(lambda: _converged(cluster, space, len(north.log_ids(space))), 60, "convergence")
    members = {m["did"]: m for m in north.state(space)["members"]["members"]}
    assert (members[ben]["status"], sorted(members[ben]["roles"])) == (
        "member", ["member", "moderator"])  # fmt: skip
    posts = [e for e in north.http.get(f"/api/v1/spaces/{space}/events",
                                       params={"limit": 500}).json()["events"]
             if e["type"] == "post.create"]  # fmt: skip
    assert [(p["author"], p["event"]["content"]["text"], p["accepted"]) for p in posts] == [
        (ben, "written at east", True), (ben, "written at west", True)]  # fmt: skip


def _home_of(node: NodeProcess, space: str, did: str) -> str | None:
    events = node.http.get(f"/api/v1/spaces/{space}/events", params={"limit": 500}).json()
    homes = [e["event"]["content"]["url"] for e in events["events"]
             if e["type"] == "member.home" and e["author"] == did and e["accepted"]]  # fmt: skip
    return homes[-1] if homes else None
