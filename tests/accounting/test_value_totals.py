"""Members' value totals, summed per denominator, equal one Fraction added per share exactly."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from p2pvalue.accounting.equation import charter_equation
from p2pvalue.accounting.model import Ledger
from p2pvalue.accounting.service import Value
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node


def test_totals_equal_the_ledgers_member_values_with_odd_rates_and_shares(
    sqlite_node: Node,
) -> None:
    node = sqlite_node
    alice, bob, carol = (
        node.accounts.register(n, "correct horse") for n in ("alice", "bob", "carol")
    )
    charter = default_charter("open")
    kinds = charter["value"]["kinds"]
    equation = charter_equation(kinds, None).to_content()
    equation["kinds"]["docs"]["rate"] = {"num": 10, "den": 3}  # a third of a point
    equation["kinds"]["design"]["rate"] = {"num": 7, "den": 11}
    charter["value"]["equation"] = equation
    space = str(node.create_space(alice, "Odd", charter=charter).id)
    for member in (bob, carol):
        node.act(member, space, "member.join", {})

    def claim(author: Any, kind: str, hours: int, **extra: Any) -> str:
        content = {"kind": kind, "description": kind, "quantity": hours, "unit": "hours", **extra}
        return str(node.act(author, space, "contribution.claim", content).id)

    shared = [{"member": bob.did, "share": 3333}, {"member": carol.did, "share": 6667}]
    made = [claim(bob, "docs", 5, contributors=shared), claim(carol, "design", 7),
            claim(bob, "code", 3), claim(carol, "docs", 1)]  # fmt: skip
    for claimed in made[:3]:
        node.act(alice, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    rejection = {"claim": made[3], "verdict": "reject", "reason": "a duplicate"}
    node.act(alice, space, "contribution.review", rejection)
    claim(alice, "design", 2)  # pending: worth nothing yet

    ledger = node.service(Value).ledger(space)
    assert [c.status for c in ledger.claims.values()] == [
        "accepted", "accepted", "accepted", "rejected", "pending"]  # fmt: skip
    totals = ledger.member_values()
    assert totals == _one_fraction_a_share(ledger)
    assert {type(value) for value in totals.values()} == {Fraction}
    assert any(value.denominator > 1 for value in totals.values())
    assert set(totals) == {alice.did, bob.did, carol.did}  # alice by her reviews


def _one_fraction_a_share(ledger: Ledger) -> dict[str, Fraction]:
    """The totals the plain way: each share's and each counted review's value added."""
    totals: dict[str, Fraction] = {}
    for claim in ledger.accepted_claims():
        for member in claim.shares:
            totals[member] = totals.get(member, Fraction(0)) + claim.value_of(member)
    for review in ledger.decided_reviews():
        assert review.valued is not None
        value = review.valued.value
        totals[review.reviewer] = totals.get(review.reviewer, Fraction(0)) + value
    return totals
