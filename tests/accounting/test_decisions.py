"""Governance decisions on the ledger: treasury spends, disputes settled by proposal, and an
equation changed by proposal from its effective date, on a real node."""

from __future__ import annotations

from typing import Any

import pytest

from clock import advance
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import value_policy
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.events.event import now_ms
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

HOUR = 3_600_000
CLAIM: dict[str, Any] = {"kind": "docs", "description": "FAQ", "quantity": 2, "unit": "hours"}


def community(node: Node, **value: Any) -> tuple[str, list[Account]]:
    charter = default_charter("open")
    charter["value"].update(value)
    charter["decisions"] = {
        "default": {"method": "majority", "window_hours": 1},
        "charter": {"method": "majority", "threshold": "2/3", "window_hours": 1},
    }
    people = [node.accounts.register(name, "correct horse") for name in ("ann", "ben", "cat")]
    space = str(node.create_space(people[0], "Treasury", charter=charter).id)
    for person in people[1:]:
        node.act(person, space, "member.join", {})
    return space, people


def decide(node: Node, space: str, people: list[Account], action: dict[str, Any]) -> str:
    """Propose `action`, have everyone vote yes, and let the node close it an hour later."""
    made = node.service(Governance).propose(people[0], space, {"title": "t", "action": action})
    proposal = str(made.id)
    node.service(Governance).keep_deadlines()  # the founder's tick starts the window
    for person in people:
        node.service(Governance).vote(person, space, proposal, {"choice": "yes"})
    advance(node, HOUR + 60_000)
    assert node.service(Governance).keep_deadlines() == 1
    assert node.service(Governance).proposal(space, proposal).status == "enacted"
    return proposal


def test_an_approved_spend_leaves_the_treasury(node: Node) -> None:
    space, people = community(node)
    node.act(
        people[0],
        space,
        "income.record",
        {"amount": 10_000, "currency": "EUR", "source": "donations"},
    )
    spend = {"type": "treasury.spend", "amount": 3_000, "currency": "EUR", "to": "Hackerspace rent"}
    proposal = decide(node, space, people, spend)
    ledger = node.service(Value).ledger(space)
    assert ledger.balance("EUR") == 7_000
    assert [(s.proposal, s.amount, s.to) for s in ledger.spends] == [
        (proposal, 3_000, "Hackerspace rent")
    ]
    with pytest.raises(P2PError) as refused:
        node.service(Governance).propose(
            people[0], space, {"title": "t", "action": {**spend, "amount": 7_001}}
        )
    assert refused.value.code == "insufficient_balance"


def test_a_spend_the_balance_no_longer_covers_takes_no_effect(node: Node) -> None:
    space, people = community(node)
    node.act(
        people[0], space, "income.record", {"amount": 5_000, "currency": "EUR", "source": "grant"}
    )
    spend = {"type": "treasury.spend", "amount": 4_000, "currency": "EUR", "to": "tools"}
    made = str(
        node.service(Governance).propose(people[0], space, {"title": "t", "action": spend}).id
    )
    node.service(Governance).keep_deadlines()
    for person in people:
        node.service(Governance).vote(person, space, made, {"choice": "yes"})
    claim = str(node.act(people[1], space, "contribution.claim", CLAIM).id)
    node.act(people[2], space, "contribution.review", {"claim": claim, "verdict": "approve"})
    node.service(Value).pay_out(people[0], space, "EUR", 2_000)
    advance(node, HOUR + 60_000)
    node.service(Governance).keep_deadlines()
    ledger = node.service(Value).ledger(space)
    closed = node.service(Governance).proposal(space, made).closed_by
    assert ledger.void[str(closed)] == "insufficient_balance"
    assert (ledger.balance("EUR"), ledger.spends) == (3_000, [])


def test_a_dispute_handed_to_governance_is_settled_by_a_proposal(node: Node) -> None:
    space, people = community(node, disputes={"rule": "proposal"})
    ann, ben, cat = people
    claim = str(node.act(ben, space, "contribution.claim", CLAIM).id)
    node.act(
        cat,
        space,
        "contribution.review",
        {"claim": claim, "verdict": "dispute", "reason": "already in the wiki"},
    )
    assert node.service(Value).ledger(space).claims[claim].status == "disputed"
    decide(node, space, people, {"type": "contribution.resolve", "claim": claim, "accept": True})
    settled = node.service(Value).ledger(space).claims[claim]
    assert settled.status == "accepted"
    assert node.event(str(settled.decided_by)).type == "proposal.close"
    with pytest.raises(P2PError) as refused:
        node.service(Governance).propose(
            ann,
            space,
            {
                "title": "again",
                "action": {"type": "contribution.resolve", "claim": claim, "accept": False},
            },
        )
    assert refused.value.code == "claim_not_disputed"


def test_an_equation_changed_by_proposal_applies_from_its_effective_date(node: Node) -> None:
    space, people = community(node)
    ann, ben, cat = people
    before = str(node.act(ben, space, "contribution.claim", CLAIM).id)
    node.act(cat, space, "contribution.review", {"claim": before, "verdict": "approve"})
    old_value = node.service(Value).ledger(space).claims[before].valued
    assert old_value is not None
    effective = now_ms() - 30 * 60_000
    kinds = value_policy(node.service(Governance).authority(space).charter).kinds  # type: ignore[union-attr]
    doubled = {
        "version": 2,
        "effective_from": effective,
        "currencies": {"EUR": {"num": 1, "den": 1}},
        "kinds": {
            k: {
                "unit": "hours"
                if k not in ("review", "money")
                else ("units" if k == "review" else "money"),
                "rate": {"num": 40 if k == "docs" else 1, "den": 1},
            }
            for k in kinds
        },
    }
    decide(node, space, people, {"type": "value.equation", "equation": doubled})
    old_work = {**CLAIM, "description": "older work", "date": effective - HOUR}
    new_work = {**CLAIM, "description": "newer work", "date": effective + 60_000}
    made = [str(node.act(ben, space, "contribution.claim", c).id) for c in (old_work, new_work)]
    for claim in made:
        node.act(cat, space, "contribution.review", {"claim": claim, "verdict": "approve"})
    claims = node.service(Value).ledger(space).claims
    versions = [claims[c].valued.equation_version for c in (before, *made)]  # type: ignore[union-attr]
    assert versions == [1, 1, 2]
    assert claims[before].valued == old_value
    assert claims[made[2 - 1]].valued.value == 80  # type: ignore[union-attr]
    stale = {**doubled, "version": 2, "effective_from": effective + 1}
    with pytest.raises(P2PError) as refused:
        node.service(Governance).propose(
            ann, space, {"title": "t", "action": {"type": "value.equation", "equation": stale}}
        )
    assert refused.value.code == "invalid_equation"
