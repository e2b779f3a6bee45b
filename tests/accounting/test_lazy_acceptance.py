"""Lazy acceptance: an undisputed claim is accepted once its window passed, by an event."""

from __future__ import annotations

import threading
import time
import warnings
from typing import Any

import pytest

from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.web.app import create_app

with warnings.catch_warnings():
    # Starlette asks for httpx2; the project pins httpx, which still works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CLAIM: dict[str, Any] = {"kind": "docs", "description": "FAQ", "quantity": 1, "unit": "hours"}


def lazy_space(node: Node, hours: int) -> tuple[str, Account, Account]:
    alice, bob = (node.accounts.register(n, "correct horse") for n in ("alice", "bob"))
    charter = default_charter("open")
    charter["value"]["acceptance"] = {"approvals": 2, "lazy_hours": hours}
    space = str(node.create_space(alice, "Lazy", charter=charter).id)
    node.act(bob, space, "member.join", {})
    return space, alice, bob


def test_the_node_closes_undisputed_claims_whose_window_passed(node: Node) -> None:
    space, alice, bob = lazy_space(node, 0)
    quiet = str(node.act(bob, space, "contribution.claim", CLAIM).id)
    argued = str(node.act(bob, space, "contribution.claim", {**CLAIM, "description": "x"}).id)
    dispute = {"claim": argued, "verdict": "dispute", "reason": "duplicate of the FAQ"}
    node.act(alice, space, "contribution.review", dispute)
    assert node.service(Value).close_due_claims() == 1
    claims = node.service(Value).ledger(space).claims
    assert (claims[quiet].status, claims[argued].status) == ("accepted", "disputed")
    closing = node.event(str(claims[quiet].decided_by))
    assert (closing.type, closing.author) == ("contribution.close", alice.did)  # the timekeeper
    assert node.service(Value).close_due_claims() == 0


def test_a_claim_cannot_be_closed_inside_its_window(node: Node) -> None:
    space, _, bob = lazy_space(node, 24)
    claimed = str(node.act(bob, space, "contribution.claim", CLAIM).id)
    with pytest.raises(P2PError) as refused:
        node.act(bob, space, "contribution.close", {"claim": claimed})
    assert refused.value.code == "window_open"
    assert node.service(Value).close_due_claims() == 0
    assert node.service(Value).ledger(space).claims[claimed].status == "pending"


def test_without_a_window_claims_are_accepted_only_by_approval(node: Node) -> None:
    alice, bob = (node.accounts.register(n, "correct horse") for n in ("alice", "bob"))
    space = str(node.create_space(alice, "Strict").id)
    node.act(bob, space, "member.join", {})
    claimed = str(node.act(bob, space, "contribution.claim", CLAIM).id)
    with pytest.raises(P2PError) as refused:
        node.act(bob, space, "contribution.close", {"claim": claimed})
    assert refused.value.code == "lazy_acceptance_off"


def test_a_running_node_keeps_the_deadline_itself(node: Node) -> None:
    space, _, bob = lazy_space(node, 0)
    claimed = str(node.act(bob, space, "contribution.claim", CLAIM).id)
    with TestClient(create_app(node, deadlines_every=0.05)):
        deadline = time.monotonic() + 10
        while node.service(Value).ledger(space).claims[claimed].status != "accepted":
            assert time.monotonic() < deadline, "the node did not close the claim"
            time.sleep(0.05)


def test_a_sweep_of_due_claims_ends_at_the_next_claim_once_asked_to_stop(node: Node) -> None:
    """A node shutting down (SIGTERM, Ctrl-C) does not wait for a long sweep to finish."""
    space, _, bob = lazy_space(node, 0)
    claims = [str(node.act(bob, space, "contribution.claim", {**CLAIM, "description": f"c{i}"}).id)
              for i in range(3)]  # fmt: skip
    stop = threading.Event()
    stop.set()
    assert node.service(Value).close_due_claims(stop) == 0
    assert {node.service(Value).ledger(space).claims[c].status for c in claims} == {"pending"}
    assert node.service(Value).close_due_claims(threading.Event()) == 3
