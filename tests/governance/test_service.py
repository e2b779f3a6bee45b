"""Governance on a real node (SQLite and PostgreSQL): refusals that store nothing, frozen
reputation weights, deadlines the node keeps itself (reveals and closes), recounts and
notifications."""

from __future__ import annotations

from typing import Any

import pytest

from clock import advance
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter, template
from p2pvalue.node import Node

HOUR = 3_600_000
MINUTE = 60_000
CLAIM: dict[str, Any] = {"kind": "code", "description": "parser", "quantity": 1, "unit": "hours"}


def community(node: Node, charter: dict[str, Any] | None = None) -> tuple[str, list[Account]]:
    people = [
        node.accounts.register(name, "correct horse") for name in ("ann", "ben", "cat", "dan")
    ]
    space = str(node.create_space(people[0], "Guild", charter=charter).id)
    for person in people[1:]:
        node.act(person, space, "member.join", {})
    return space, people


def short(**default: Any) -> dict[str, Any]:
    charter = default_charter("open")
    charter["decisions"] = {
        "default": {"method": "majority", "window_hours": 1, **default},
        "charter": {"method": "majority", "threshold": "2/3"},
    }
    return charter


def test_refused_governance_actions_store_nothing(node: Node) -> None:
    space, (ann, ben, *_) = community(node, short(voters="admin"))
    made = node.service(Governance).propose(
        ann, space, {"title": "Rename", "action": {"type": "text"}}
    )
    before = node.space(space).events
    with pytest.raises(P2PError) as refused:
        node.service(Governance).vote(ben, space, str(made.id), {"choice": "yes"})
    assert (refused.value.code, refused.value.status) == ("not_eligible", 403)
    with pytest.raises(P2PError) as bad:
        node.service(Governance).vote(ann, space, str(made.id), {"choice": "maybe"})
    assert bad.value.code == "bad_ballot"
    with pytest.raises(P2PError) as unknown:
        node.act(ann, space, "vote.cast", {"proposal": "A" * 43, "ballot": {"choice": "yes"}})
    assert (unknown.value.code, unknown.value.status) == ("unknown_proposal", 404)
    with pytest.raises(P2PError) as early:
        node.service(Governance).close(ann, space, str(made.id))
    assert early.value.code == "window_open"
    assert node.space(space).events == before


def test_the_node_closes_due_proposals_and_enacts_them(node: Node) -> None:
    space, (ann, ben, cat, dan) = community(node, short())
    grant = {"type": "role.grant", "member": ben.did, "role": "moderator"}
    made = node.service(Governance).propose(ann, space, {"title": "Ben moderates", "action": grant})
    proposal = str(made.id)
    assert node.service(Governance).keep_deadlines() == 0  # the founder's tick starts the window
    for who, choice in ((ann, "yes"), (cat, "yes"), (dan, "no")):
        node.service(Governance).vote(who, space, proposal, {"choice": choice})
    advance(node, HOUR + MINUTE)
    assert node.service(Governance).keep_deadlines() == 1
    found = node.service(Governance).proposal(space, proposal)
    assert (found.status, found.outcome) == ("enacted", "passed")
    ben_row = next(m for m in node.members(space) if m["did"] == ben.did)
    assert "moderator" in ben_row["roles"]
    closing = node.event(str(found.closed_by))
    assert (closing.type, closing.author) == ("proposal.close", ann.did)
    recount = node.service(Governance).recount(proposal)
    assert recount.matches
    assert (recount.result["figures"]["yes"], recount.result["figures"]["no"]) == (2, 1)
    assert node.service(Governance).keep_deadlines() == 0


def test_majority_closes_early_once_no_ballot_can_change_it(node: Node) -> None:
    space, people = community(node, short(early_close=True))
    proposal = str(
        node.service(Governance)
        .propose(people[0], space, {"title": "t", "action": {"type": "text"}})
        .id
    )
    node.service(Governance).vote(people[0], space, proposal, {"choice": "yes"})
    node.service(Governance).vote(people[1], space, proposal, {"choice": "yes"})
    assert (
        node.service(Governance).keep_deadlines() == 0
    )  # 2 of 4: the other two could still tie it
    node.service(Governance).vote(people[2], space, proposal, {"choice": "yes"})
    assert node.service(Governance).keep_deadlines() == 1
    assert node.service(Governance).proposal(space, proposal).status == "enacted"


def test_secret_ballots_are_sealed_then_revealed_and_counted_by_the_node(node: Node) -> None:
    space, (ann, ben, cat, _) = community(node, short(secret=True, reveal_hours=1))
    proposal = str(
        node.service(Governance).propose(ann, space, {"title": "t", "action": {"type": "text"}}).id
    )
    assert node.service(Governance).keep_deadlines() == 0  # a tick starts the window
    commits = [
        node.service(Governance).vote(who, space, proposal, {"choice": choice})
        for who, choice in ((ann, "yes"), (ben, "no"), (cat, "yes"))
    ]
    found = node.service(Governance).proposal(space, proposal)
    assert (found.ballots, len(found.commitments)) == ({}, 3)
    commit = node.event(str(commits[1].id))
    assert commit.type == "vote.commit" and "ballot" not in commit.wire["content"]
    advance(node, HOUR + MINUTE)  # voting ended; the reveal period ends in an hour
    assert node.service(Governance).keep_deadlines() == 3  # three reveals; closing must wait
    revealed = node.service(Governance).proposal(space, proposal)
    assert {b.content["choice"] for b in revealed.ballots.values()} == {"yes", "no"}
    advance(node, HOUR)
    assert node.service(Governance).keep_deadlines() == 1
    closed = node.service(Governance).proposal(space, proposal)
    assert (closed.status, node.service(Governance).recount(proposal).result["figures"]["yes"]) == (
        "enacted",
        2,
    )


def test_reputation_weights_are_frozen_when_a_proposal_opens(node: Node) -> None:
    space, (ann, ben, cat, dan) = community(node, template("maker_network"))
    for author, reviewer, hours in ((ben, cat, 30), (cat, ben, 10), (dan, ann, 5)):
        claim = str(node.act(author, space, "contribution.claim", {**CLAIM, "quantity": hours}).id)
        node.act(reviewer, space, "contribution.review", {"claim": claim, "verdict": "approve"})
    made = node.service(Governance).propose(ann, space, {"title": "t", "action": {"type": "text"}})
    proposal = node.service(Governance).proposal(space, str(made.id))
    weights = proposal.weights
    assert sum(weights.values()) == 1_000_000
    assert set(weights) == {ann.did, ben.did, cat.did, dan.did}
    assert max(weights.values()) <= 250_000  # the template caps anyone at a quarter
    assert weights[ben.did] >= weights[dan.did]


def test_a_forged_weight_or_outcome_is_refused(node: Node) -> None:
    space, (ann, *_) = community(node, short())
    with pytest.raises(P2PError) as refused:
        node.act(
            ann,
            space,
            "proposal.create",
            {"title": "t", "action": {"type": "text"}, "weights": {ann.did: 5}},
        )
    assert refused.value.code == "weights_not_used"
    made = str(
        node.service(Governance).propose(ann, space, {"title": "t", "action": {"type": "text"}}).id
    )
    node.service(Governance).keep_deadlines()
    advance(node, 2 * HOUR)
    with pytest.raises(P2PError) as lying:
        node.act(ann, space, "proposal.close", {"proposal": made, "outcome": "passed"})
    assert lying.value.code == "outcome_mismatch"


def test_notifications_tell_a_member_what_is_open_and_what_was_decided(node: Node) -> None:
    space, (ann, ben, *_) = community(node, short())
    done = str(
        node.service(Governance)
        .propose(ann, space, {"title": "Old", "action": {"type": "text"}})
        .id
    )
    node.service(Governance).keep_deadlines()
    advance(node, HOUR + MINUTE)
    node.service(Governance).keep_deadlines()
    fresh = str(
        node.service(Governance)
        .propose(ann, space, {"title": "New", "action": {"type": "text"}})
        .id
    )
    notes = {n["proposal"]: n for n in node.service(Governance).notifications(ben.did)}
    assert notes[fresh]["kind"] == "closing_soon"  # one-hour window, and ben has not voted
    assert (notes[done]["kind"], notes[done]["status"]) == ("outcome", "rejected")
    node.service(Governance).vote(ben, space, fresh, {"choice": "yes"})
    assert node.service(Governance).notifications(ben.did)[0]["kind"] == "proposal_opened"
