"""A proposal's page answers at once and says its what-ifs are being worked out; once they
are, the page shows them, the same as a direct computation."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from p2pvalue.accounting.service import Value
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.simulation.service import Horizon, Simulation
from p2pvalue.web.app import create_app
from p2pvalue.web.simulation.api import what_if_json

PASSWORD = "correct horse"
PATCH = {"value": {"payout_policy": "IMMEDIATE"}}


def proposed(node: Node) -> tuple[str, str]:
    """bob's 3 hours of docs approved by alice, 100 EUR paid out, and alice's proposal to
    pay recent work."""
    alice, bob = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob"))
    charter = default_charter("open")
    charter["value"]["kinds"].remove("review")
    space = str(node.create_space(alice, "Commons", charter=charter).id)
    node.act(bob, space, "member.join", {})
    content = {"kind": "docs", "description": "work", "quantity": 3, "unit": "hours"}
    claimed = node.act(bob, space, "contribution.claim", content).id
    node.act(alice, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    node.act(alice, space, "income.record", {"amount": 10_000, "currency": "EUR", "source": "g"})
    node.service(Value).pay_out(alice, space, "EUR", 10_000)
    action = {"type": "charter.amend", "patch": PATCH}
    made = node.service(Governance).propose(alice, space, {"title": "Pay now", "action": action})
    return space, str(made.id)


def shown(client: TestClient, simulation: Simulation, page: str) -> httpx.Response:
    """The page once its what-ifs are worked out for the log as it is: the node's own
    timekeeper may tick (witnessing the proposal) after the first ask, and a changed
    ledger is worked out again."""
    for _ in range(5):
        assert simulation.background.settled(60)
        found: httpx.Response = client.get(page)
        if 'id="what-if-pending"' not in found.text:
            return found
    raise AssertionError("the what-ifs were never shown")


def test_the_page_says_the_what_ifs_are_being_worked_out_then_shows_them(node: Node) -> None:
    space, proposal = proposed(node)
    simulation = node.service(Simulation)
    with TestClient(create_app(node)) as client:
        first = client.get(f"/spaces/{space}/proposals/{proposal}")
        assert first.status_code == 200
        assert 'id="what-if-pending"' in first.text and 'id="replay-heading"' not in first.text
        later = shown(client, simulation, f"/spaces/{space}/proposals/{proposal}")
        assert 'id="replay-heading"' in later.text and 'id="forecast-heading"' in later.text
    done = simulation.worked_out(space, PATCH, Horizon())
    assert done is not None and done.result is not None
    direct = Simulation(node.wiring).what_if(space, PATCH, Horizon())  # nothing kept: anew
    assert direct is not done.result
    assert what_if_json(done.result) == what_if_json(direct)


def test_a_change_to_the_ledger_works_them_out_again(node: Node) -> None:
    space, _ = proposed(node)
    simulation = node.service(Simulation)
    assert simulation.worked_out(space, PATCH, Horizon()) is None
    assert simulation.background.settled(60)
    assert simulation.worked_out(space, PATCH, Horizon()) is not None
    bob = node.accounts.by_username("bob")
    assert bob is not None
    content = {"kind": "docs", "description": "more", "quantity": 1, "unit": "hours"}
    node.act(bob, space, "contribution.claim", content)
    assert simulation.worked_out(space, PATCH, Horizon()) is None  # the ledger changed
    assert simulation.background.settled(60)
    done = simulation.worked_out(space, PATCH, Horizon())
    assert done is not None and done.result is not None
    pending = [
        c for c in node.service(Value).ledger(space).claims.values() if c.status == "pending"
    ]
    assert len(pending) == 1
