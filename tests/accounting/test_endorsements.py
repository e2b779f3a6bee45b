"""Endorsements through a real node: who may endorse what, and the edges they add."""

from __future__ import annotations

from typing import Any

import pytest

from p2pvalue import audit
from p2pvalue.accounting.reputation import explain
from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.node import Node

PASSWORD = "correct horse"


def claim(description: str, hours: int = 2) -> dict[str, Any]:
    return {"kind": "docs", "description": description, "quantity": hours, "unit": "hours"}


@pytest.fixture
def people(node: Node) -> tuple[Account, Account, Account, str]:
    alice, bob, carol = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob", "carol"))
    space = str(node.create_space(alice, "Commons").id)
    for member in (bob, carol):
        assert node.act(member, space, "member.join", {}).status == "accepted"
    return alice, bob, carol, space


def refused(node: Node, account: Account, space: str, content: dict[str, Any]) -> str:
    before = node.space(space).events
    with pytest.raises(P2PError) as caught:
        node.act(account, space, "contribution.endorse", content)
    assert node.space(space).events == before
    return caught.value.code


def test_a_member_endorses_someone_elses_claim_once(
    node: Node, people: tuple[Account, Account, Account, str]
) -> None:
    alice, bob, carol, space = people
    claimed = str(node.act(bob, space, "contribution.claim", claim("FAQ")).id)
    endorsed = node.act(
        carol, space, "contribution.endorse", {"claim": claimed, "note": "saved me"}
    )
    assert endorsed.status == "accepted", endorsed
    entry = node.service(Value).ledger(space).claims[claimed]
    assert [(e.endorser, e.note) for e in entry.endorsements.values()] == [(carol.did, "saved me")]
    assert entry.status == "pending"  # an endorsement is not a review
    assert refused(node, carol, space, {"claim": claimed}) == "already_endorsed"
    assert refused(node, bob, space, {"claim": claimed}) == "own_claim"
    assert refused(node, alice, space, {"claim": "A" * 43}) == "unknown_claim"
    node.act(alice, space, "contribution.endorse", {"claim": claimed})
    audit.rebuild(node)
    assert set(node.service(Value).ledger(space).claims[claimed].endorsements) == {
        carol.did,
        alice.did,
    }


def test_disputed_and_rejected_claims_are_not_endorsed(
    node: Node, people: tuple[Account, Account, Account, str]
) -> None:
    alice, bob, carol, space = people
    argued = str(node.act(bob, space, "contribution.claim", claim("FAQ")).id)
    dispute = {"claim": argued, "verdict": "dispute", "reason": "copied"}
    node.act(alice, space, "contribution.review", dispute)
    assert refused(node, carol, space, {"claim": argued}) == "claim_disputed"
    dropped = str(node.act(bob, space, "contribution.claim", claim("Spam")).id)
    reject = {"claim": dropped, "verdict": "reject", "reason": "spam"}
    node.act(alice, space, "contribution.review", reject)
    assert refused(node, carol, space, {"claim": dropped}) == "claim_rejected"


def test_an_endorsement_is_an_edge_the_explanation_shows(
    node: Node, people: tuple[Account, Account, Account, str]
) -> None:
    alice, bob, carol, space = people
    for author, reviewer, text in ((bob, alice, "Guide"), (carol, alice, "Index")):
        claimed = node.act(author, space, "contribution.claim", claim(text)).id
        node.act(reviewer, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    guide = next(
        c.id for c in node.service(Value).ledger(space).claims.values() if c.description == "Guide"
    )
    before = node.service(Value).reputation(space).scores
    assert before[bob.did] == pytest.approx(before[carol.did])
    node.act(carol, space, "contribution.endorse", {"claim": guide})
    result = node.service(Value).reputation(space)
    assert result.scores[bob.did] > result.scores[carol.did]
    explanation = explain(result, bob.did)
    paths = [p for flow in explanation.flows for p in flow.paths if p.edge == "endorsement"]
    assert [(p.source, p.source_kind) for p in paths] == [(carol.did, "contributor")]
    assert paths[0].share > 0
    total = explanation.teleport + sum(f.amount for f in explanation.flows) + explanation.other
    assert total == pytest.approx(explanation.score, abs=1e-9)
