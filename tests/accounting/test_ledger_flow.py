"""Claims, reviews, income and payouts through a real node, on each backend."""

from __future__ import annotations

from typing import Any

import pytest

from p2pvalue import audit
from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.events.event import build_event
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

PASSWORD = "correct horse"


def claim(hours: int = 5, evidence: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"kind": "code", "description": "parser", "quantity": hours, "unit": "hours",
            "evidence": evidence or [], **extra}  # fmt: skip


@pytest.fixture
def people(node: Node) -> tuple[Account, Account, Account, str]:
    alice, bob, carol = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob", "carol"))
    space = node.create_space(alice, "Commons").id
    assert space is not None
    for member in (bob, carol):
        assert node.act(member, space, "member.join", {}).status == "accepted"
    return alice, bob, carol, space


def refused(node: Node, account: Account, space: str, type: str, content: dict[str, Any]) -> str:
    before = node.space(space).events
    with pytest.raises(P2PError) as caught:
        node.act(account, space, type, content)
    assert node.space(space).events == before
    return caught.value.code


def test_a_claim_is_accepted_by_a_peer_approval(
    node: Node, people: tuple[Account, Account, Account, str]
) -> None:
    alice, bob, _, space = people
    claimed = node.act(bob, space, "contribution.claim", claim(evidence=["commit:abc"]))
    assert node.service(Value).ledger(space).claims[str(claimed.id)].status == "pending"
    node.act(alice, space, "contribution.review", {"claim": claimed.id, "verdict": "approve"})
    ledger = node.service(Value).ledger(space)
    entry = ledger.claims[str(claimed.id)]
    assert (entry.status, entry.quantity, entry.shares) == ("accepted", 5, {bob.did: 10_000})
    # The default equation: 20 points an hour, twice that for unpaid time; a review is 5.
    assert entry.valued is not None and entry.valued.value == 200
    assert ledger.member_values() == {bob.did: 200, alice.did: 5}


def test_ledger_refusals_store_nothing(
    node: Node, people: tuple[Account, Account, Account, str]
) -> None:
    alice, bob, carol, space = people
    first = node.act(bob, space, "contribution.claim", claim(evidence=["commit:abc"])).id
    review = {"claim": first, "verdict": "approve"}
    assert refused(node, bob, space, "contribution.review", review) == "own_claim"
    again = claim(evidence=["commit:abc"])
    assert refused(node, carol, space, "contribution.claim", again) == "evidence_already_claimed"
    assert (
        refused(node, bob, space, "contribution.claim", claim(hours=0)) == "quantity_not_positive"
    )
    unknown = {**claim(), "kind": "juggling"}
    assert refused(node, bob, space, "contribution.claim", unknown) == "unknown_kind"
    counted = {**claim(), "unit": "units"}
    assert refused(node, bob, space, "contribution.claim", counted) == "unit_mismatch"
    shares = claim(contributors=[{"member": bob.did, "share": 6000}, {"member": carol.did,
                                                                     "share": 3000}])  # fmt: skip
    assert refused(node, bob, space, "contribution.claim", shares) == "shares_not_100_percent"
    node.act(alice, space, "contribution.review", review)
    assert refused(node, carol, space, "contribution.review", review) == "claim_closed"
    dispute = {"claim": first, "verdict": "dispute"}
    assert refused(node, carol, space, "contribution.review", dispute) == "reason_required"
    payout = {"currency": "EUR", "budget": 100, "policy": "BALANCED", "allocations": {bob.did: 100}}
    assert refused(node, alice, space, "payout.run", payout) == "insufficient_balance"


def test_co_contributors_share_and_none_of_them_may_review(
    node: Node, people: tuple[Account, Account, Account, str]
) -> None:
    alice, bob, carol, space = people
    split = [{"member": bob.did, "share": 7000}, {"member": carol.did, "share": 3000}]
    claimed = node.act(bob, space, "contribution.claim", claim(contributors=split)).id
    review = {"claim": claimed, "verdict": "approve"}
    assert refused(node, carol, space, "contribution.review", review) == "own_claim"
    node.act(alice, space, "contribution.review", review)
    ledger = node.service(Value).ledger(space)
    assert ledger.claims[str(claimed)].shares == {bob.did: 7000, carol.did: 3000}
    assert ledger.member_values() == {bob.did: 140, carol.did: 60, alice.did: 5}


def test_acceptance_counts_only_the_named_role(node: Node) -> None:
    alice, bob, carol, dan = (
        node.accounts.register(n, PASSWORD) for n in ("alice", "bob", "carol", "dan")
    )
    charter = default_charter("open")
    charter["roles"]["steward"] = ["contribution.review"]
    charter["value"]["acceptance"] = {"approvals": 2, "role": "steward"}
    space = str(node.create_space(alice, "Guild", charter=charter).id)
    for member in (bob, carol, dan):
        node.act(member, space, "member.join", {})
    node.act(alice, space, "role.grant", {"member": carol.did, "role": "steward"})
    claimed = str(node.act(bob, space, "contribution.claim", claim()).id)
    for reviewer in (dan, carol):
        node.act(reviewer, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    assert node.service(Value).ledger(space).claims[claimed].status == "pending"
    node.act(alice, space, "role.grant", {"member": alice.did, "role": "steward"})
    node.act(alice, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    assert node.service(Value).ledger(space).claims[claimed].status == "accepted"


def test_a_dispute_holds_a_claim_until_withdrawn(
    node: Node, people: tuple[Account, Account, Account, str]
) -> None:
    alice, bob, carol, space = people
    claimed = str(node.act(bob, space, "contribution.claim", claim()).id)
    dispute = {"claim": claimed, "verdict": "dispute", "reason": "hours look doubled"}
    node.act(carol, space, "contribution.review", dispute)
    node.act(alice, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    assert node.service(Value).ledger(space).claims[claimed].status == "disputed"
    node.act(carol, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    assert node.service(Value).ledger(space).claims[claimed].status == "accepted"


def test_a_payout_needs_value_to_split_by(
    node: Node, people: tuple[Account, Account, Account, str]
) -> None:
    alice, bob, carol, space = people
    income = {"amount": 10_001, "currency": "EUR", "source": "grant"}
    node.act(alice, space, "income.record", income)
    split = {bob.did: 6_000, carol.did: 4_000}
    payout = {"currency": "EUR", "budget": 10_000, "policy": "BALANCED", "allocations": split}
    assert refused(node, alice, space, "payout.run", payout) == "nothing_to_split"
    assert node.service(Value).ledger(space).balance("EUR") == 10_001


def test_a_remote_review_of_ones_own_claim_is_kept_but_void(
    node: Node, people: tuple[Account, Account, Account, str]
) -> None:
    _, bob, _, space = people
    claimed = str(node.act(bob, space, "contribution.claim", claim()).id)
    log = node.writer.log(space)
    assert log is not None
    tip = max(log.tips, key=log.position.__getitem__)
    review = build_event(node.accounts.key_of(bob), "contribution.review",
                         {"claim": claimed, "verdict": "approve"}, space=space, prev=[tip],
                         depth=log.entries[tip].depth + 1)  # fmt: skip
    assert node.ingest([review.wire])[0].status == "accepted"
    ledger = node.service(Value).ledger(space)
    assert ledger.void == {review.id: "own_claim"}
    assert ledger.claims[claimed].status == "pending"
    audit.rebuild(node)
    assert node.service(Value).ledger(space).void == {review.id: "own_claim"}


def test_an_equation_naming_an_unknown_kind_is_refused(node: Node) -> None:
    alice = node.accounts.register("alice", PASSWORD)
    charter = default_charter("open")
    rule = {"unit": "hours", "rate": {"num": 1, "den": 1}}
    charter["value"]["kinds"] = ["code"]
    charter["value"]["equation"] = {"version": 1, "effective_from": 0,
                                    "kinds": {"code": rule, "juggling": rule}}  # fmt: skip
    outcome = node.create_space(alice, "Circus", charter=charter)
    assert (outcome.status, outcome.code) == ("refused", "unknown_kind")
    assert node.spaces() == []
