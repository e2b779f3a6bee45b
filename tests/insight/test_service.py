"""A space's health through a real node: measures from its log, cached per log version, and
research export only where the charter allows it."""

from __future__ import annotations

from typing import Any

import pytest

from clock import advance
from p2pvalue.accounts import Account
from p2pvalue.errors import Forbidden
from p2pvalue.governance.templates import default_charter
from p2pvalue.insight.service import Insight
from p2pvalue.insight.state import Folded
from p2pvalue.node import Node

HOUR = 3_600_000
PASSWORD = "correct horse"


def new_space(node: Node, founder: Account, name: str, **fields: Any) -> str:
    space = node.create_space(founder, name, **fields).id
    assert space is not None
    return space


CLAIM = {"kind": "code", "description": "parser", "quantity": 2, "unit": "hours"}


def test_health_of_a_small_space(node: Node) -> None:
    alice, bob, carol = (
        node.accounts.register(n, "correct horse") for n in ("alice", "bob", "carol")
    )
    space = new_space(node, alice, "Commons")
    for member in (bob, carol):
        assert node.act(member, space, "member.join", {}).status == "accepted"
    task = node.act(alice, space, "task.create", {"title": "Write the parser"}).id
    node.act(bob, space, "task.claim", {"task": task})
    claim = node.act(bob, space, "contribution.claim", CLAIM).id
    node.act(carol, space, "affiliation.declare", {"organisation": "Acme"})
    advance(node, 5 * HOUR)
    node.act(carol, space, "contribution.review", {"claim": claim, "verdict": "approve"})
    insight = node.service(Insight)
    health = insight.health(space)
    assert insight.health(space) is health  # cached until the log changes
    assert health.review.claims == health.review.reviewed == health.review.accepted == 1
    assert health.review.first_review_hours == pytest.approx(5, abs=0.01)
    assert health.review.load == {carol.did: 1}
    assert health.organisations == {carol.did: "Acme"}
    assert health.elephant_factor == 1
    # Alice and Bob share the task, Bob and Carol the claim she reviewed.
    places = health.places
    assert set(places) == {alice.did, bob.did, carol.did}
    assert health.network.coreness() == {alice.did: 1, bob.did: 1, carol.did: 1}
    assert sum(row.contributions for row in health.activity["month"]) == 4
    node.act(carol, space, "affiliation.declare", {"organisation": ""})
    after = insight.health(space)
    assert after is not health and after.organisations == {} and after.elephant_factor == 0


def test_the_fold_read_bit_by_bit_equals_one_read_of_everything(node: Node) -> None:
    alice = node.accounts.register("alice", "correct horse")
    space = new_space(node, alice, "Commons")
    kept = Folded(node.writer)
    for number in range(4):
        task = node.act(alice, space, "task.create", {"title": f"task {number}"}).id
        node.act(alice, space, "affiliation.declare", {"organisation": f"Org {number}"})
        node.act(alice, space, "task.claim", {"task": task})
        kept.records(space)
    assert kept.records(space) == Folded(node.writer).records(space)
    assert kept.records(space).organisations() == {alice.did: "Org 3"}


def test_research_export_needs_the_charter_and_membership(node: Node) -> None:
    alice, eve = (
        node.accounts.register("alice", "correct horse"),
        node.accounts.register("eve", "correct horse"),
    )
    charter = default_charter()
    space = new_space(node, alice, "Closed")
    node.act(alice, space, "task.create", {"title": "x"})
    insight = node.service(Insight)
    with pytest.raises(Forbidden) as off:
        insight.research_export(space, alice.did)
    assert off.value.code == "research_export_off"
    opened = new_space(node, alice, "Open", charter={**charter, "research": {"export": True}})
    node.act(alice, opened, "task.create", {"title": "x"})
    network, activity = insight.research_export(opened, alice.did)
    assert alice.did not in network and alice.did not in activity
    assert activity.splitlines()[0] == "member,kind,day,week"
    assert len(activity.splitlines()) == 2
    with pytest.raises(Forbidden):
        insight.research_export(opened, eve.did)


def test_measures_kept_as_the_log_grows_equal_those_of_one_read(node: Node) -> None:
    """Health read after every event, the contributions counted on as the log grows, equals
    health read once by a node that folded nothing yet."""
    alice, bob, carol = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob", "carol"))
    space = new_space(node, alice, "Commons")
    insight = node.service(Insight)
    for member in (bob, carol):
        node.act(member, space, "member.join", {})
        insight.health(space)
    for month in range(3):
        task = node.act(alice, space, "task.create", {"title": f"task {month}"}).id
        insight.health(space)
        node.act(bob, space, "task.claim", {"task": task})
        claim = node.act(bob, space, "contribution.claim", CLAIM).id
        insight.health(space)
        node.act(carol, space, "contribution.review", {"claim": claim, "verdict": "approve"})
        insight.health(space)
        advance(node, 31 * 24 * HOUR)
    kept = insight.health(space)
    insight.rebuild()
    once = insight.health(space)
    assert kept is not once
    assert kept.made == once.made and len(kept.made) == 12
    assert kept.activity == once.activity and kept.cohorts == once.cohorts
    assert len(kept.activity["month"]) == 3
    assert [row.contributions for row in kept.activity["month"]] == [4, 4, 4]
    assert kept.values == once.values and kept.gini == once.gini
    assert kept.network == once.network and kept.places == once.places
    assert kept.places_over_time == once.places_over_time
    assert kept.absence_factor == once.absence_factor == 1


def test_reputation_over_time_counts_the_claims_decided_by_each_month_end(node: Node) -> None:
    alice, bob, carol = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob", "carol"))
    space = new_space(node, alice, "Commons")
    for member in (bob, carol):
        node.act(member, space, "member.join", {})
    first = node.act(bob, space, "contribution.claim", CLAIM).id
    node.act(alice, space, "contribution.review", {"claim": first, "verdict": "approve"})
    advance(node, 40 * 24 * HOUR)
    second = node.act(carol, space, "contribution.claim", CLAIM).id
    node.act(alice, space, "contribution.review", {"claim": second, "verdict": "approve"})
    rows = node.service(Insight).reputation_over_time(space)
    periods = sorted({str(row["period"]) for row in rows})
    assert len(periods) == 2
    at = {(row["period"], row["member"]): float(str(row["reputation"])) for row in rows}
    assert at[(periods[0], carol.did)] == 0  # her claim was not decided yet
    assert at[(periods[0], bob.did)] > 0 and at[(periods[1], carol.did)] > 0
    for period in periods:  # every contributor is listed: the shares add up to 1
        assert sum(v for (p, _), v in at.items() if p == period) == pytest.approx(1, abs=1e-4)
    alone = node.service(Insight).reputation_over_time(space, carol.did)
    assert [row["reputation"] for row in alone] == [at[(p, carol.did)] for p in periods]
