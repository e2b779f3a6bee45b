"""The history replayed under another value policy, on a tiny space whose numbers are
worked out by hand: bob logged 3 hours of docs, carol 2 hours of code, alice approved
both, 100.00 EUR came in and all of it was paid out by BALANCED."""

from __future__ import annotations

from fractions import Fraction

import pytest

from p2pvalue.accounting.equation import default_equation_content
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import Acceptance, ValuePolicy, value_policy
from p2pvalue.accounts import Account
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.simulation.replay import replay, what_if
from p2pvalue.simulation.service import Simulation

PASSWORD = "correct horse"
Space = tuple[str, Account, Account, Account]


def claim(node: Node, space: str, by: Account, reviewer: Account, kind: str, hours: int) -> None:
    content = {"kind": kind, "description": "work", "quantity": hours, "unit": "hours"}
    claimed = node.act(by, space, "contribution.claim", content).id
    node.act(reviewer, space, "contribution.review", {"claim": claimed, "verdict": "approve"})


@pytest.fixture
def paid(node: Node) -> Space:
    alice, bob, carol = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob", "carol"))
    charter = default_charter("open")
    charter["value"]["kinds"].remove("review")  # reviews carry no value: sums stay by hand
    space = str(node.create_space(alice, "Commons", charter=charter).id)
    for member in (bob, carol):
        node.act(member, space, "member.join", {})
    claim(node, space, bob, alice, "docs", 3)  # 3 h x 20 x 2 (unpaid) = 120 points
    claim(node, space, carol, alice, "code", 2)  # 80 points
    node.act(alice, space, "income.record", {"amount": 10_000, "currency": "EUR", "source": "g"})
    assert node.service(Value).pay_out(alice, space, "EUR", 10_000).status == "accepted"
    return space, alice, bob, carol


def policy_with(node: Node, space: str, **changes: object) -> ValuePolicy:
    current = value_policy(node.writer.log(space).authority.charter)  # type: ignore[union-attr]
    assert current is not None
    return current.model_copy(update=changes)


def test_docs_weighed_three_times_pay_bob_more_and_carol_less(node: Node, paid: Space) -> None:
    space, _, bob, carol = paid
    equation = default_equation_content(policy_with(node, space).kinds)
    equation["kinds"]["docs"]["weight"] = {"num": 3, "den": 1}
    events = node.service(Simulation).events(space)
    found = what_if(events, policy_with(node, space, equation=equation), [bob.did, carol.did])
    by = {o.member: o for o in found.members}
    # Before: 120 : 80 of 10,000 cents. After: 360 : 80, so 8,181.8 : 1,818.2, rounded.
    assert (by[bob.did].value_before, by[bob.did].value_after) == (Fraction(120), Fraction(360))
    assert (by[carol.did].value_before, by[carol.did].value_after) == (Fraction(80), Fraction(80))
    assert (by[bob.did].paid_before, by[bob.did].paid_after) == ({"EUR": 6_000}, {"EUR": 8_182})
    assert by[carol.did].paid_delta("EUR") == -2_182 and not by[carol.did].gains
    assert by[bob.did].gains and found.members[0].member == bob.did  # largest gain first
    assert by[bob.did].reputation_after > by[bob.did].reputation_before
    assert found.statuses == {} and found.voided_payouts == 0


def test_two_approvals_leave_the_work_pending_and_the_payout_unmade(
    node: Node, paid: Space
) -> None:
    space, _, bob, carol = paid
    stricter = policy_with(node, space, acceptance=Acceptance(approvals=2))
    events = node.service(Simulation).events(space)
    found = what_if(events, stricter, [bob.did, carol.did])
    by = {o.member: o for o in found.members}
    assert by[bob.did].value_after == 0 and by[bob.did].paid_after == {}
    assert set(found.statuses.values()) == {("accepted", "pending")}
    assert len(found.statuses) == 2 and found.voided_payouts == 1


def test_the_policy_in_force_replays_to_the_ledger_itself(node: Node, paid: Space) -> None:
    space, *_ = paid
    events = node.service(Simulation).events(space)
    again = replay(events, policy_with(node, space))
    ledger = node.service(Value).ledger(space)
    assert again.member_values() == ledger.member_values()
    assert again.paid == ledger.paid and again.void == ledger.void
    assert sum(again.member_values().values(), Fraction(0)) == 200
