"""Money bounties on real nodes (each backend): a done task's drafted claim carries its
bounty, and once the claim is accepted the bounty is paid out of the space's pot, split by
the claim's shares, exactly once; every way of paying it wrongly is refused."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from p2pvalue.accounting.bounties import split
from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.collab.service import Collab
from p2pvalue.errors import P2PError
from p2pvalue.events.event import build_event
from p2pvalue.node import Node
from p2pvalue.web.app import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

BOUNTY = {"amount": 10_001, "currency": "EUR"}


def _accepted(outcome: Any) -> str:
    assert outcome.status == "accepted", outcome
    return str(outcome.id)


def _done_task(
    node: Node, bounty: dict[str, Any] | None = BOUNTY
) -> tuple[Account, Account, Account, str, str]:
    """Alice's task, claimed by bob and cyd and done: the three, the space and the task."""
    alice = node.accounts.register("alice", "a long password")
    bob = node.accounts.register("bob", "a long password")
    cyd = node.accounts.register("cyd", "a long password")
    space = _accepted(node.create_space(alice, "Workshop"))
    for member in (bob, cyd):
        _accepted(node.act(member, space, "member.join", {}))
    task = {"title": "Fix the lathe", **({"bounty": bounty} if bounty else {})}
    made = _accepted(node.act(alice, space, "task.create", task))
    _accepted(node.act(bob, space, "task.claim", {"task": made}))
    _accepted(node.act(cyd, space, "task.claim", {"task": made}))
    _accepted(node.act(bob, space, "task.submit", {"task": made}))
    _accepted(node.act(bob, space, "task.done", {"task": made}))
    return alice, bob, cyd, space, made


def _code(call: Any, *args: Any) -> str:
    with pytest.raises(P2PError) as refused:
        call(*args)
    return refused.value.code


def test_an_accepted_claims_bounty_is_paid_once_split_by_shares(node: Node) -> None:
    alice, bob, cyd, space, task = _done_task(node)
    draft = node.service(Collab).draft(space, task)
    assert draft is not None and draft["bounty"] == BOUNTY
    claim = _accepted(node.service(Collab).confirm(bob, space, task, quantity=3))
    assert _code(node.service(Value).pay_bounty, alice, space, claim) == "claim_not_accepted"

    _accepted(node.act(alice, space, "contribution.review", {"claim": claim, "verdict": "approve"}))
    assert _code(node.service(Value).pay_bounty, alice, space, claim) == "insufficient_balance"
    income = {"amount": 15_000, "currency": "EUR", "source": "grant"}
    _accepted(node.act(alice, space, "income.record", income))

    paid = _accepted(node.service(Value).pay_bounty(alice, space, claim))
    ledger = node.service(Value).ledger(space)
    assert ledger.claims[claim].bounty_paid == paid
    # Two equal shares of 10,001 cents: one gets the odd cent (largest remainder, then did).
    assert set(ledger.paid["EUR"]) == {bob.did, cyd.did}
    assert sorted(ledger.paid["EUR"].values()) == [5000, 5001]
    assert ledger.balance("EUR") == 15_000 - 10_001
    assert _code(node.service(Value).pay_bounty, alice, space, claim) == "bounty_already_paid"
    assert [p.policy for p in ledger.payouts] == ["BOUNTY"]


def test_a_bounty_paid_wrongly_is_refused_or_rejected(node: Node) -> None:
    alice, bob, _, space, task = _done_task(node)
    claim = _accepted(node.service(Collab).confirm(bob, space, task, quantity=3))
    _accepted(node.act(alice, space, "contribution.review", {"claim": claim, "verdict": "approve"}))
    _accepted(node.act(alice, space, "income.record",
                       {"amount": 50_000, "currency": "EUR", "source": "grant"}))  # fmt: skip
    right = node.service(Value).ledger(space).claims[claim]
    base = {
        "claim": claim,
        "currency": "EUR",
        "amount": 10_001,
        "allocations": split(10_001, right.shares),
    }
    wrong = {
        "bounty_mismatch": {**base, "amount": 20_002,
                            "allocations": dict.fromkeys(sorted(right.shares), 10_001)},
        "allocation_mismatch": {**base, "allocations": {bob.did: 10_001}},
        "wrong_pot": {**base, "earmark": "somewhere-else"},
    }  # fmt: skip
    for code, content in wrong.items():
        assert _code(node.act, alice, space, "bounty.pay", content) == code
        # Signed and sent anyway, the log keeps it as rejected and pays nothing.
        log = node.writer.log(space)
        assert log is not None
        tips = sorted(log.tips)
        depth = 1 + max(log.entries[t].depth for t in tips)
        key = node.accounts.key_of(alice)
        wire = build_event(key, "bounty.pay", content, space=space, prev=tips, depth=depth).wire
        assert node.ingest([wire])[0].status == "accepted"  # the log takes it; the ledger voids it
        assert node.service(Value).ledger(space).paid.get("EUR", {}) == {}
    assert node.service(Value).ledger(space).claims[claim].bounty_paid is None


def test_a_claim_without_a_money_bounty_has_none_to_pay(node: Node) -> None:
    alice, bob, _, space, task = _done_task(node, bounty={"points": 5})
    draft = node.service(Collab).draft(space, task)
    assert draft is not None and "bounty" not in draft
    claim = _accepted(node.service(Collab).confirm(bob, space, task, quantity=3))
    assert _code(node.service(Value).pay_bounty, alice, space, claim) == "no_bounty"
    assert _code(node.service(Value).pay_bounty, alice, space, "x" * 43) == "unknown_claim"


def test_the_task_page_pays_the_bounty(sqlite_node: Node) -> None:
    alice, bob, _, space, task = _done_task(sqlite_node)
    claim = _accepted(sqlite_node.service(Collab).confirm(bob, space, task, quantity=3))
    review = {"claim": claim, "verdict": "approve"}
    _accepted(sqlite_node.act(alice, space, "contribution.review", review))
    income = {"amount": 20_000, "currency": "EUR", "source": "grant"}
    _accepted(sqlite_node.act(alice, space, "income.record", income))
    with TestClient(create_app(sqlite_node)) as client:
        client.post("/login", data={"username": "alice", "password": "a long password"})
        page = client.get(f"/spaces/{space}/tasks/{task}")
        assert 'id="bounty-form"' in page.text and "accepted" in page.text
        paid = client.post(f"/spaces/{space}/tasks/{task}/bounty", follow_redirects=False)
        assert paid.status_code == 303
        page = client.get(f"/spaces/{space}/tasks/{task}")
        assert 'id="bounty-paid"' in page.text and 'id="bounty-form"' not in page.text
    assert sorted(sqlite_node.service(Value).ledger(space).paid["EUR"].values()) == [5000, 5001]
