"""Property: governance decided from any arrival order is the same, and equals a rebuild.

Random DAGs of ballots, delegations, withdrawals and (often concurrent) closes of two
proposals, each event on top of random earlier ones.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from events.helpers import ALICE, BOB, CAROL, DAVE, T0, SpaceBuilder, log_of, parents_first, rebuilt
from p2pvalue.events.event import Event
from p2pvalue.governance.templates import default_charter

HOUR = 3_600_000
PEOPLE = (ALICE, BOB, CAROL, DAVE)
STEP = st.tuples(
    st.sampled_from(("vote", "vote", "vote", "close", "delegate", "undelegate")),
    st.integers(0, 3),  # who
    st.integers(0, 1),  # which proposal
    st.sampled_from(("yes", "no", "abstain")),
    st.lists(st.integers(0, 10_000), min_size=1, max_size=3),  # parents, as indices
)


def community() -> tuple[SpaceBuilder, list[Event], list[Event]]:
    charter = default_charter("open")
    charter["decisions"] = {
        "default": {"method": "majority", "window_hours": 1},
        "charter": {"method": "majority", "threshold": "2/3"},
    }
    space = SpaceBuilder(charter=charter)
    last = space.create
    for who in PEOPLE[1:]:
        last = space.emit(who, "member.join", {}, [last], ts=T0 + len(space.events))
    proposals = [
        space.emit(
            ALICE, "proposal.create", {"title": f"p{i}", "action": action}, [last], ts=T0 + HOUR + i
        )
        for i, action in enumerate(
            ({"type": "text"}, {"type": "role.grant", "member": BOB.did, "role": "moderator"})
        )
    ]
    # The founder keeps time: closes that have this tick in their past may end the window.
    ids = [proposal.id for proposal in proposals]
    tick = space.emit(ALICE, "clock.tick", {"events": ids}, proposals, ts=T0 + HOUR + 5)
    return space, proposals, [*proposals, tick]


def step(space: SpaceBuilder, proposals: list[Event], pool: list[Event], drawn: Any) -> None:
    """Emit one drawn event; its time names its place in the pool, so that two equal draws
    are two events, not one event emitted twice."""
    kind, who_index, which, choice, parents = drawn
    who, proposal = PEOPLE[who_index], proposals[which]
    after = list({pool[i % len(pool)].id: pool[i % len(pool)] for i in parents}.values())
    if kind == "vote":
        content: dict[str, Any] = {"proposal": proposal.id, "ballot": {"choice": choice}}
        pool.append(space.emit(who, "vote.cast", content, after, ts=T0 + HOUR + 10 + len(pool)))
    elif kind == "close":
        for outcome in ("passed", "rejected"):  # one of the two states the count right
            content = {"proposal": proposal.id, "outcome": outcome, "winners": []}
            pool.append(space.emit(who, "proposal.close", content, after,
                                   ts=T0 + 2 * HOUR + len(pool)))  # fmt: skip
    elif kind == "delegate":
        target = PEOPLE[(who_index + 1 + which) % len(PEOPLE)]
        content = {"kind": "*", "to": target.did}
        pool.append(space.emit(who, "delegation.set", content, after, ts=T0 + HOUR + len(pool)))
    else:
        revoke = {"kind": "*"}
        pool.append(space.emit(who, "delegation.revoke", revoke, after, ts=T0 + HOUR + len(pool)))


@settings(max_examples=60, deadline=None)
@given(st.lists(STEP, min_size=1, max_size=14), st.integers(0, 2**32))
def test_governance_does_not_depend_on_arrival_order(steps: list[Any], seed: int) -> None:
    space, proposals, pool = community()
    for drawn in steps:
        step(space, proposals, pool, drawn)
    reference = rebuilt(space.space, space.events)
    log = log_of(space.space, parents_first(space.events, random.Random(seed)))
    assert (log.order, log.reasons) == (reference.order, reference.reasons)
    assert log.authority == reference.authority
    for proposal in proposals:
        closes = {
            e.id
            for e in space.events
            if e.type == "proposal.close"
            and e.content["proposal"] == proposal.id
            and reference.reasons[e.id] is None
        }
        assert len(closes) <= 1
