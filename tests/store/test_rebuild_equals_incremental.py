"""Rebuild equals incremental: projections re-derived from the events match the live ones."""

from __future__ import annotations

from community import Community, build, projections_of

from p2pvalue import audit
from p2pvalue.node import Node


def test_rebuild_reproduces_every_projection(node: Node) -> None:
    community = build(node)
    before = projections_of(node)

    counts = audit.rebuild(node)

    assert projections_of(node) == before
    assert counts == {"spaces": 3, "events": len(before["event_status"])}
    for space in community.spaces.values():
        assert audit.verify(node, space) is None


def test_recorded_decisions_survive_rebuild(node: Node) -> None:
    community = build(node)
    audit.rebuild(node)
    for event_id, reason in community.decisions.items():
        assert community.status(event_id) == (reason is None, reason)


def test_projections_are_counted_consistently(node: Node) -> None:
    community = build(node)
    tables = projections_of(node)
    for space in community.spaces.values():
        statuses = [row for row in tables["event_status"] if row[1] == space]
        summary = node.space(space)
        assert summary.events == len(statuses) == len(node.events(space, limit=1000))
        assert summary.accepted == sum(1 for row in statuses if row[3])
        assert sorted(row[2] for row in statuses) == list(range(len(statuses)))


def test_writes_after_a_rebuild_continue_incrementally(node: Node) -> None:
    community = build(node)
    audit.rebuild(node)
    _more_activity(community)
    live = projections_of(node)

    audit.rebuild(node)

    assert projections_of(node) == live
    assert all(audit.verify(node, space) is None for space in community.spaces.values())


def test_members_after_the_concurrent_removal(node: Node) -> None:
    community = build(node)
    members = {m["did"]: (m["status"], m["roles"]) for m in node.members(community.spaces["guild"])}
    assert members == {
        community.did("alice"): ("member", ["admin", "member"]),
        community.did("bob"): ("removed", []),
        community.did("carol"): ("member", ["member"]),
        community.did("dan"): ("requested", []),
        community.did("erin"): ("requested", []),
    }


def _more_activity(community: Community) -> None:
    community.act("alice", "guild", "member.admit", {"member": community.did("erin")})
    community.act("erin", "guild", "post.create", {"text": "admitted for real"})
    community.act("dan", "workshop", "member.join")
    fork = community.tip("circle")
    concurrent = [
        community.signed("dan", "circle", "post.create", {"text": f"branch {n}"}, [fork])
        for n in range(3)
    ]
    assert [o.status for o in community.node.ingest([e.wire for e in concurrent])] == [
        "accepted"
    ] * 3
