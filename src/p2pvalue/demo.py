"""A realistic demo community to explore a fresh node with."""

from __future__ import annotations

from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

DEMO_PASSWORD = "commons-demo"
DEMO_SPACE = "Open Hardware Commons"
PEOPLE = ("alice", "bob", "carol", "dan", "erin")


def _account(node: Node, username: str) -> Account:
    found = node.accounts.by_username(username)
    return found or node.accounts.register(username, DEMO_PASSWORD)


def seed(node: Node) -> str:
    """Create the demo people and spaces unless they exist; the main space's id."""
    existing = [s for s in node.spaces(everyone=True) if s.name == DEMO_SPACE]
    if existing:
        return existing[0].id
    alice, bob, carol, dan, erin = (_account(node, name) for name in PEOPLE)
    charter = default_charter("approval")
    charter["roles"]["maintainer"] = ["post.create", "member.admit", "member.invite"]
    charter["decisions"]["priorities"] = {"method": "schulze", "window_hours": 168}
    created = node.create_space(
        alice,
        DEMO_SPACE,
        "Designs for a solar water pump, shared under CERN-OHL-S.",
        charter=charter,
    )
    space = _required(created.id)
    steps: list[tuple[Account, str, dict[str, object]]] = [
        (
            alice,
            "post.create",
            {"text": "Welcome! This space holds the pump designs and our decisions."},
        ),
        (bob, "member.request", {"note": "I machined the impeller prototypes last year."}),
        (alice, "member.admit", {"member": bob.did}),
        (alice, "role.grant", {"member": bob.did, "role": "maintainer"}),
        (bob, "post.create", {"text": "Uploaded impeller v3 drawings; tolerances now ±0.05 mm."}),
        (bob, "member.invite", {"member": carol.did}),
        (carol, "member.join", {}),
        (carol, "post.create", {"text": "Translated the assembly guide into Spanish."}),
        (dan, "post.create", {"text": "Can I post without joining?"}),
        (dan, "member.request", {"note": "Field tester in Kenya."}),
        (carol, "post.create", {"text": "Ran the pump for 40 hours at 12 V: 1,900 litres/hour."}),
    ]
    for account, action, content in steps:
        node.act(account, space, action, dict(content))
    _value(node, space, alice, bob, carol)
    _governance(node, space, alice, bob, carol)
    river = node.create_space(erin, "Riverside Makers", "A neighbourhood workshop, open to all.")
    for account in (alice, dan):
        node.act(account, _required(river.id), "member.join", {})
    node.act(erin, _required(river.id), "post.create", {"text": "Repair café this Saturday!"})
    return space


def _value(node: Node, space: str, alice: Account, bob: Account, carol: Account) -> None:
    """Contributions, reviews, a grant and a payout, so the value pages have something."""
    claims = [
        (bob, {"kind": "design", "description": "Impeller v3 drawings and tolerance study",
               "quantity": 6, "unit": "hours", "evidence": ["https://example.org/pump/v3"]}),
        (carol, {"kind": "translation", "description": "Assembly guide in Spanish",
                 "quantity": 4, "unit": "hours"}),
        (carol, {"kind": "operations", "description": "40-hour endurance test at 12 V",
                 "quantity": 5, "unit": "hours"}),
        (bob, {"kind": "docs", "description": "Wiring diagram for the controller",
               "quantity": 2, "unit": "hours"}),
    ]  # fmt: skip
    made = [node.act(who, space, "contribution.claim", claim).id for who, claim in claims]
    reviews = [(alice, made[0]), (bob, made[1]), (alice, made[2])]
    for reviewer, claim_id in reviews:
        node.act(reviewer, space, "contribution.review", {"claim": claim_id, "verdict": "approve"})
    grant = {"amount": 50_000, "currency": "EUR", "source": "Open hardware grant"}
    node.act(alice, space, "income.record", grant)
    node.service(Value).pay_out(alice, space, "EUR", 30_000)


def _governance(node: Node, space: str, alice: Account, bob: Account, carol: Account) -> None:
    """A role granted by a vote that closed early, and a ranked choice still open."""
    grant = {"type": "role.grant", "member": carol.did, "role": "maintainer"}
    made = node.service(Governance).propose(alice, space, {
        "title": "Carol becomes a maintainer",
        "body": "Carol ran the endurance tests and keeps the Spanish guide up to date.",
        "action": grant,
    })  # fmt: skip
    for voter in (alice, bob):
        node.service(Governance).vote(voter, space, _required(made.id), {"choice": "yes"})
    node.service(Governance).keep_deadlines()
    options = [{"id": "solar-12v", "label": "12 V solar kit"},
               {"id": "hand-pump", "label": "Hand-pump fallback"},
               {"id": "deep-well", "label": "Deep-well impeller"}]  # fmt: skip
    choice = node.service(Governance).propose(bob, space, {
        "title": "Which variant do we build next?", "kind": "priorities",
        "action": {"type": "text"}, "options": options,
    })  # fmt: skip
    ranking = {"ranking": ["deep-well", "solar-12v", "hand-pump"]}
    node.service(Governance).vote(bob, space, _required(choice.id), ranking)


def _required(space_id: str | None) -> str:
    if space_id is None:
        raise P2PError("demo_failed", "a demo space could not be created")
    return space_id
