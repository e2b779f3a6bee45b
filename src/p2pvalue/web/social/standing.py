"""Where a member stands in each space the viewer may see: their roles there, their value
and share of it, and their reputation, for their profile."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.node import Node
from p2pvalue.store.directory import SpaceSummary


@dataclass(frozen=True)
class Standing:
    space: SpaceSummary
    roles: list[str]
    claims: int  # accepted contributions they share in
    value: Fraction
    share: Fraction  # of the space's value
    reputation: float  # of the space's reputation, 0 to 1


def standings(node: Node, member: str, viewer: Account | None) -> list[Standing]:
    """The member's standing in each space the viewer may see that they are a member of."""
    found: list[Standing] = []
    for space in node.spaces(viewer.did if viewer else None):
        mine = [m for m in node.members(space.id) if m["did"] == member]
        if not mine or mine[0]["status"] != "member":
            continue
        found.append(_standing(node, space, member, list(mine[0]["roles"])))
    return found


def _standing(node: Node, space: SpaceSummary, member: str, roles: list[str]) -> Standing:
    value = node.service(Value)
    try:
        ledger = value.ledger(space.id)
        values = ledger.member_values()
        reputation = value.reputation(space.id).scores.get(member, 0.0)
    except P2PError:  # a space without a value policy
        return Standing(space, roles, 0, Fraction(0), Fraction(0), 0.0)
    total = sum(values.values(), Fraction(0))
    mine = values.get(member, Fraction(0))
    claims = sum(1 for c in ledger.claims.values() if c.status == "accepted" and member in c.shares)
    return Standing(space, roles, claims, mine, mine / total if total else Fraction(0),
                    float(reputation))  # fmt: skip
