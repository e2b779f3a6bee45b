"""Payout runs through a real node: planned by the charter's policy, checked by every fold."""

from __future__ import annotations

import pytest

from p2pvalue import audit
from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.events.event import build_event
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

PASSWORD = "correct horse"


def accepted_claim(node: Node, space: str, by: Account, reviewer: Account, hours: int) -> None:
    claim = {"kind": "docs", "description": "guide", "quantity": hours, "unit": "hours"}
    claimed = node.act(by, space, "contribution.claim", claim).id
    node.act(reviewer, space, "contribution.review", {"claim": claimed, "verdict": "approve"})


@pytest.fixture
def funded(node: Node) -> tuple[str, Account, Account, Account]:
    alice, bob, carol = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob", "carol"))
    charter = default_charter("open")
    # Without the review kind, reviews carry no value and the splits stay easy to follow.
    charter["value"]["kinds"].remove("review")
    space = str(node.create_space(alice, "Commons", charter=charter).id)
    for member in (bob, carol):
        node.act(member, space, "member.join", {})
    accepted_claim(node, space, bob, alice, 3)
    accepted_claim(node, space, carol, alice, 1)
    node.act(
        alice, space, "income.record", {"amount": 10_001, "currency": "EUR", "source": "grant"}
    )
    return space, alice, bob, carol


def test_a_balanced_payout_splits_exactly_by_value(
    node: Node, funded: tuple[str, Account, Account, Account]
) -> None:
    space, alice, bob, carol = funded
    outcome = node.service(Value).pay_out(alice, space, "EUR", 10_000)
    assert outcome.status == "accepted", outcome
    ledger = node.service(Value).ledger(space)
    assert ledger.paid["EUR"] == {bob.did: 7_500, carol.did: 2_500}
    assert ledger.balance("EUR") == 1 and ledger.void == {}
    with pytest.raises(P2PError) as refused:
        node.service(Value).pay_out(alice, space, "EUR", 2)
    assert refused.value.code == "insufficient_balance"
    audit.rebuild(node)
    assert node.service(Value).ledger(space).paid["EUR"] == {bob.did: 7_500, carol.did: 2_500}


def test_balanced_pays_the_underpaid_first(
    node: Node, funded: tuple[str, Account, Account, Account]
) -> None:
    space, alice, _, carol = funded
    node.service(Value).pay_out(alice, space, "EUR", 4_000)  # bob 3,000, carol 1,000
    accepted_claim(node, space, carol, alice, 2)  # now bob 120 and carol 120 points
    node.act(alice, space, "income.record", {"amount": 2_000, "currency": "EUR", "source": "gift"})
    plan = node.service(Value).payout_plan(space, "EUR", 2_000, 0)
    # Targets: (4,000 paid + 2,000) x 1/2 = 3,000 each; bob is already there.
    assert {m: a for m, a in plan.amounts.items() if a} == {carol.did: 2_000}


def test_a_payout_with_forged_allocations_is_void_everywhere(
    node: Node, funded: tuple[str, Account, Account, Account]
) -> None:
    space, alice, _, _ = funded
    log = node.writer.log(space)
    assert log is not None
    tip = max(log.tips, key=log.position.__getitem__)
    forged = build_event(
        node.accounts.key_of(alice), "payout.run",
        {"currency": "EUR", "budget": 10_000, "policy": "BALANCED",
         "allocations": {alice.did: 10_000}},
        space=space, prev=[tip], depth=log.entries[tip].depth + 1,
    )  # fmt: skip
    assert node.ingest([forged.wire])[0].status == "accepted"
    ledger = node.service(Value).ledger(space)
    assert ledger.void == {forged.id: "allocation_mismatch"}
    assert (ledger.balance("EUR"), ledger.paid) == (10_001, {})
