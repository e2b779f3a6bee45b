"""Property: whatever DAG arrives, in whatever batches, the incrementally written projections
equal the ones a rebuild derives, and every recorded decision verifies."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from community import projections_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p2pvalue import audit
from p2pvalue.events.event import Event, build_event, now_ms
from p2pvalue.events.keys import KeyPair
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

KEYS = [KeyPair(hashlib.sha256(f"member {n}".encode()).digest()) for n in range(4)]
TARGETED = ("member.admit", "member.invite", "member.remove")
ROLES = ("role.grant", "role.revoke")
SELF = ("member.join", "member.request", "member.leave", "post.create")
spaces = itertools.count()


def content_for(type: str, target: KeyPair, role: str) -> dict[str, Any]:
    if type in TARGETED:
        return {"member": target.did}
    if type in ROLES:
        return {"member": target.did, "role": role}
    return {"text": "hi"} if type == "post.create" else {}


@st.composite
def step(draw: st.DrawFn, known: int) -> tuple[int, str, int, str, list[int]]:
    """(author, type, target, role, parent indexes) of one event."""
    author = draw(st.integers(0, len(KEYS) - 1))
    type = draw(st.sampled_from((*SELF, *TARGETED, *ROLES)))
    target = draw(st.integers(0, len(KEYS) - 1))
    role = draw(st.sampled_from(("admin", "moderator", "member")))
    parents = draw(st.lists(st.integers(0, known - 1), min_size=1, max_size=3, unique=True))
    return author, type, target, role, parents


def build_dag(data: st.DataObject, size: int) -> list[Event]:
    policy = data.draw(st.sampled_from(("open", "approval", "invite")), label="policy")
    content = {"name": f"space {next(spaces)}", "charter": default_charter(policy)}
    ts = now_ms() - 10_000_000
    dag = [build_event(KEYS[0], "space.create", content, space=None, ts=ts)]
    for n in range(1, size):
        author, type, target, role, parents = data.draw(step(len(dag)), label=f"event {n}")
        prev = [dag[p] for p in parents]
        dag.append(
            build_event(
                KEYS[author],
                type,
                content_for(type, KEYS[target], role),
                space=dag[0].id,
                prev=[e.id for e in prev],
                depth=1 + max(e.depth for e in prev),
                ts=ts + n,
            )
        )
    return dag


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_incremental_projections_equal_a_rebuild(sqlite_node: Node, data: st.DataObject) -> None:
    node = sqlite_node
    dag = build_dag(data, data.draw(st.integers(2, 24), label="size"))
    cuts = sorted(data.draw(st.sets(st.integers(1, len(dag) - 1), max_size=6), label="cuts"))
    for start, end in itertools.pairwise([0, *cuts, len(dag)]):
        outcomes = node.ingest([event.wire for event in dag[start:end]])
        assert {o.status for o in outcomes} <= {"accepted", "rejected"}, outcomes
        assert audit.verify(node, dag[0].id) is None

    live = projections_of(node)
    audit.rebuild(node)
    assert projections_of(node) == live
