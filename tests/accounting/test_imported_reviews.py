"""Reviews attested by an importer (`contribution.import_review`) through a real node: who may
sign them, what they may review, how their verdicts weigh under the acceptance rule, and
whose they become once the reviewer claims their address."""

from __future__ import annotations

from typing import Any

import pytest

from p2pvalue import audit
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import email_alias
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

PASSWORD = "correct horse"
ANN, BOB, DAVE = (email_alias(f"{n}@example.org") for n in ("ann", "bob", "dave"))
REVIEW = "contribution.import_review"


@pytest.fixture
def people(node: Node) -> tuple[Account, Account, str]:
    alice, bob = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob"))
    charter = default_charter("open")
    charter["value"]["acceptance"] = {"approvals": 1}
    space = str(node.create_space(alice, "Firmware", charter=charter).id)
    assert node.act(bob, space, "member.join", {}).status == "accepted"
    return alice, bob, space


def imported(node: Node, alice: Account, space: str, evidence: str = "https://x/pull/1") -> str:
    content = {"kind": "code", "description": "Watchdog", "quantity": 1, "unit": "hours",
               "date": 1, "evidence": [evidence], "source": "perceval:github",
               "contributors": [{"member": ANN, "share": 10_000, "name": "Ann"}]}  # fmt: skip
    return str(node.act(alice, space, "contribution.import", content).id)


def review(claim: str, reviewer: str, verdict: str, n: int, **more: Any) -> dict[str, Any]:
    return {"claim": claim, "reviewer": reviewer, "verdict": verdict, "date": 1 + n,
            "evidence": f"https://x/pull/1#pullrequestreview-{n}", "source": "perceval:github",
            **more}  # fmt: skip


def refused(node: Node, account: Account, space: str, content: dict[str, Any]) -> str:
    before = node.space(space).events
    with pytest.raises(P2PError) as caught:
        node.act(account, space, REVIEW, content)
    assert node.space(space).events == before
    return caught.value.code


def test_a_request_for_changes_holds_the_claim_until_its_reviewer_approves(
    node: Node, people: tuple[Account, Account, str]
) -> None:
    alice, _, space = people
    claim = imported(node, alice, space)

    def status() -> str:
        return node.service(Value).ledger(space).claims[claim].status

    node.act(alice, space, REVIEW, review(claim, BOB, "request_changes", 1, name="Bob"))
    node.act(alice, space, REVIEW, review(claim, DAVE, "approve", 2))
    assert status() == "pending"  # one approval is enough, but Bob's request stands
    node.act(alice, space, REVIEW, review(claim, BOB, "approve", 3))
    assert status() == "accepted"
    node.act(alice, space, REVIEW, review(claim, BOB, "comment", 4))
    ledger = node.service(Value).ledger(space)
    assert ledger.claims[claim].reviews[BOB].verdict == "approve"  # a comment withdraws nothing
    assert ledger.labels()[BOB] == "Bob"
    audit.rebuild(node)
    assert node.service(Value).ledger(space).claims[claim].reviews[BOB].verdict == "approve"


def test_what_an_imported_review_may_not_be(
    node: Node, people: tuple[Account, Account, str]
) -> None:
    alice, bob, space = people
    claim = imported(node, alice, space)
    native = str(node.act(bob, space, "contribution.claim", {
        "kind": "docs", "description": "FAQ", "quantity": 1, "unit": "hours"}).id)  # fmt: skip
    assert refused(node, alice, space, review(claim, ANN, "approve", 1)) == "own_claim"
    assert refused(node, alice, space, review("A" * 43, BOB, "approve", 1)) == "unknown_claim"
    assert refused(node, alice, space, review(native, DAVE, "approve", 1)) == "claim_not_imported"
    assert refused(node, alice, space, review(claim, BOB, "approve", 10**15)) == (
        "work_dated_after_claim"
    )
    node.act(alice, space, REVIEW, review(claim, BOB, "approve", 1))
    assert refused(node, alice, space, review(claim, DAVE, "approve", 1)) == (
        "evidence_already_claimed"  # the same review at the source, imported once
    )
    outcome = node.act(bob, space, REVIEW, review(claim, DAVE, "approve", 2))
    assert outcome.status != "accepted"  # a member's role may not attest reviews
    with pytest.raises(P2PError):
        node.act(alice, space, REVIEW, review(claim, BOB, "dispute", 3))  # not a forge's verdict


def test_a_claimed_address_makes_its_reviews_the_members(
    node: Node, people: tuple[Account, Account, str]
) -> None:
    alice, bob, space = people
    claim = imported(node, alice, space)
    node.act(alice, space, REVIEW, review(claim, BOB, "approve", 1, name="Bob"))
    before = node.service(Value).ledger(space).member_values()[BOB]
    assert before > 0 and BOB in node.service(Value).ledger(space).unclaimed
    node.act(bob, space, "alias.claim", {"alias": BOB})
    node.act(alice, space, "alias.confirm", {"member": bob.did, "alias": BOB})
    ledger = node.service(Value).ledger(space)
    assert list(ledger.claims[claim].reviews) == [bob.did]
    assert ledger.member_values()[bob.did] == before and BOB not in ledger.member_values()
    audit.rebuild(node)
    assert list(node.service(Value).ledger(space).claims[claim].reviews) == [bob.did]
