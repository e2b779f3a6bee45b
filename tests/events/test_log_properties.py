"""Decisions are a function of the set of events, never of arrival order (log.py)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    SpaceBuilder,
    key,
    log_of,
    parents_first,
    rebuilt,
)
from p2pvalue.events.authority import REVOCATIONS, authorize
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.log import SpaceLog

ERIN = key("erin")
PEOPLE = (ALICE, BOB, CAROL, DAVE, ERIN)
ROLES = ("admin", "moderator", "member", "judge")
KINDS = (
    "post.create", "post.create", "post.create", "member.remove", "role.grant",
    "role.revoke", "member.join", "member.leave", "member.invite",
)  # fmt: skip
WINDOW = 8
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _content(kind: str, target: KeyPair, role: str) -> dict[str, Any]:
    if kind == "post.create":
        return {"text": f"about {role}"}
    if kind in ("role.grant", "role.revoke"):
        return {"member": target.did, "role": role}
    if kind in ("member.remove", "member.invite"):
        return {"member": target.did}
    return {}


@st.composite
def random_spaces(draw: st.DrawFn) -> SpaceBuilder:
    """A space where Bob, Carol and Dave joined and Bob became admin, then random activity.

    Each random event takes one to three parents among the latest few, so branches and
    concurrent governance are common; Erin starts outside the space.
    """
    space = SpaceBuilder()
    for who in (BOB, CAROL, DAVE):
        space.emit(who, "member.join", {}, [space.events[-1]])
    space.role(ALICE, "role.grant", BOB, "admin", [space.events[-1]])
    for _ in range(draw(st.integers(0, 36))):
        window = space.events[-WINDOW:]
        picks = draw(
            st.lists(st.sampled_from(range(len(window))), min_size=1, max_size=3, unique=True)
        )
        kind = draw(st.sampled_from(KINDS))
        author, target = draw(st.sampled_from(PEOPLE)), draw(st.sampled_from(PEOPLE))
        content = _content(kind, target, draw(st.sampled_from(ROLES)))
        space.emit(author, kind, content, [window[i] for i in sorted(picks)])
    return space


def assert_same(log: SpaceLog, reference: SpaceLog, tips: bool = True) -> None:
    assert log.order == reference.order
    assert log.reasons == reference.reasons
    assert log.authority == reference.authority
    assert log.accepted == reference.accepted
    if tips:
        assert log.tips == reference.tips


@SETTINGS
@given(space=random_spaces(), data=st.data())
def test_every_arrival_order_gives_the_same_log(space: SpaceBuilder, data: st.DataObject) -> None:
    reference = rebuilt(space.space, space.events)
    assert len(reference.order) == len(space.events)
    assert_same(log_of(space.space, space.events), reference)
    for _ in range(3):
        rng = data.draw(st.randoms(use_true_random=False))
        assert_same(log_of(space.space, parents_first(space.events, rng)), reference)
    shuffled = data.draw(st.permutations(space.events))
    assert_same(rebuilt(space.space, shuffled), reference)


@SETTINGS
@given(space=random_spaces())
def test_order_is_parents_first(space: SpaceBuilder) -> None:
    log = rebuilt(space.space, space.events)
    for event in space.events:
        assert all(log.position[parent] < log.position[event.id] for parent in event.prev)


@SETTINGS
@given(space=random_spaces())
def test_accepted_events_are_allowed_by_their_causal_past(space: SpaceBuilder) -> None:
    log = rebuilt(space.space, space.events)
    assert log.reasons[space.space] is None
    for event_id in log.order[1:]:
        if log.reasons[event_id] is None:
            entry = log.entries[event_id]
            assert authorize(entry.action, log.state_before(event_id), log.rules) is None


@SETTINGS
@given(space=random_spaces())
def test_concurrent_revocation_cited_targets_the_author(space: SpaceBuilder) -> None:
    log = rebuilt(space.space, space.events)
    for event_id, reason in log.reasons.items():
        if reason is not None and reason.startswith("revoked_concurrently:"):
            revocation = log.entries[reason.split(":", 1)[1]]
            assert revocation.type in REVOCATIONS
            assert revocation.content is not None
            assert revocation.content["member"] == log.entries[event_id].author
