"""The charter's disputes rule through a real node: a second round, or a proposal."""

from __future__ import annotations

from typing import Any

import pytest

from p2pvalue import audit
from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

PASSWORD = "correct horse"
CLAIM: dict[str, Any] = {"kind": "docs", "description": "FAQ", "quantity": 2, "unit": "hours"}
People = tuple[str, dict[str, Account]]


def guild(node: Node, disputes: dict[str, Any] | None, approvals: int = 1) -> People:
    """A space needing `approvals` approvals, whose stewards (carol and dan) settle disputes."""
    people = {n: node.accounts.register(n, PASSWORD) for n in ("alice", "bob", "carol", "dan",
                                                               "erin")}  # fmt: skip
    charter = default_charter("open")
    charter["roles"]["steward"] = ["contribution.review"]
    charter["value"]["acceptance"] = {"approvals": approvals}
    if disputes is not None:
        charter["value"]["disputes"] = disputes
    space = str(node.create_space(people["alice"], "Guild", charter=charter).id)
    for name in ("bob", "carol", "dan", "erin"):
        node.act(people[name], space, "member.join", {})
    for name in ("carol", "dan"):
        grant = {"member": people[name].did, "role": "steward"}
        node.act(people["alice"], space, "role.grant", grant)
    return space, people


def review(node: Node, space: str, by: Account, claim: str, verdict: str) -> str:
    content = {"claim": claim, "verdict": verdict, "reason": "" if verdict == "approve" else "no"}
    node.act(by, space, "contribution.review", content)
    return node.service(Value).ledger(space).claims[claim].status


SECOND_ROUND = {"rule": "second_round", "approvals": 2, "role": "steward"}


def test_a_disputed_claim_is_accepted_by_a_second_round_of_stewards(node: Node) -> None:
    space, p = guild(node, SECOND_ROUND)
    disputed = str(node.act(p["bob"], space, "contribution.claim", CLAIM).id)
    assert review(node, space, p["carol"], disputed, "dispute") == "disputed"
    # Withdrawing the dispute no longer frees it; non-stewards do not count.
    assert review(node, space, p["carol"], disputed, "approve") == "disputed"
    assert review(node, space, p["erin"], disputed, "approve") == "disputed"
    assert review(node, space, p["alice"], disputed, "approve") == "disputed"
    assert review(node, space, p["dan"], disputed, "approve") == "accepted"
    entry = node.service(Value).ledger(space).claims[disputed]
    assert sorted(r.reviewer for r in entry.reviews.values() if r.second_round) == sorted(
        [p["carol"].did, p["dan"].did]
    )
    audit.rebuild(node)
    assert node.service(Value).ledger(space).claims[disputed].status == "accepted"


def test_approvals_before_the_dispute_do_not_count_and_one_steward_rejects(node: Node) -> None:
    space, p = guild(node, {**SECOND_ROUND, "approvals": 1}, approvals=2)
    claimed = str(node.act(p["bob"], space, "contribution.claim", CLAIM).id)
    assert review(node, space, p["carol"], claimed, "approve") == "pending"
    assert review(node, space, p["erin"], claimed, "dispute") == "disputed"
    assert review(node, space, p["alice"], claimed, "approve") == "disputed"  # not a steward
    assert review(node, space, p["dan"], claimed, "approve") == "accepted"  # carol's is too old
    other = str(node.act(p["bob"], space, "contribution.claim", {**CLAIM, "quantity": 3}).id)
    assert review(node, space, p["erin"], other, "dispute") == "disputed"
    assert review(node, space, p["carol"], other, "dispute") == "disputed"
    assert review(node, space, p["dan"], other, "reject") == "rejected"
    assert node.service(Value).ledger(space).claims[other].decided_by is not None


def test_without_a_rule_a_withdrawn_dispute_frees_the_claim(node: Node) -> None:
    space, p = guild(node, None)
    claimed = str(node.act(p["bob"], space, "contribution.claim", CLAIM).id)
    assert review(node, space, p["erin"], claimed, "dispute") == "disputed"
    assert review(node, space, p["erin"], claimed, "approve") == "accepted"


def test_by_proposal_a_disputed_claim_stays_disputed(node: Node) -> None:
    space, p = guild(node, {"rule": "proposal"})
    claimed = str(node.act(p["bob"], space, "contribution.claim", CLAIM).id)
    assert review(node, space, p["erin"], claimed, "dispute") == "disputed"
    for name in ("erin", "carol", "dan", "alice"):
        assert review(node, space, p[name], claimed, "approve") == "disputed"
    assert review(node, space, p["carol"], claimed, "reject") == "disputed"


@pytest.mark.parametrize(
    "disputes",
    [{"rule": "second_round", "approvals": 1, "role": "judge"},
     {"rule": "second_round", "approvals": 0, "role": "steward"},
     {"rule": "second_round", "role": "steward"}, {"rule": "vote"},
     {"rule": "proposal", "role": "steward"}],
)  # fmt: skip
def test_a_malformed_disputes_rule_is_refused(node: Node, disputes: dict[str, Any]) -> None:
    alice = node.accounts.register("alice", PASSWORD)
    charter = default_charter("open")
    charter["roles"]["steward"] = ["contribution.review"]
    charter["value"]["disputes"] = disputes
    outcome = node.create_space(alice, "Guild", charter=charter)
    assert (outcome.status, outcome.code) in {("refused", "invalid_charter"),
                                              ("refused", "invalid_content")}  # fmt: skip
    assert node.spaces() == []
