"""ValueFlows export: real JSON-LD, expanded by pyld to the vocabulary's IRIs."""

from __future__ import annotations

from typing import Any

from pyld import jsonld

from p2pvalue.accounting.service import Value
from p2pvalue.accounting.valueflows import economic_events
from p2pvalue.node import Node

VF = "https://w3id.org/valueflows/ont/vf#"
OM2 = "http://www.ontology-of-units-of-measure.org/resource/om-2/"


def test_accepted_claims_expand_to_economic_events(node: Node) -> None:
    alice, bob, carol = (
        node.accounts.register(n, "correct horse") for n in ("alice", "bob", "carol")
    )
    space = str(node.create_space(alice, "Commons").id)
    for member in (bob, carol):
        node.act(member, space, "member.join", {})
    shares = [{"member": bob.did, "share": 7500}, {"member": alice.did, "share": 2500}]
    claim = {"kind": "docs", "description": "Guide", "quantity": 4, "unit": "hours",
             "date": 1_764_115_200_000, "contributors": shares}  # fmt: skip
    claimed = node.act(bob, space, "contribution.claim", claim).id
    pending = {**claim, "description": "Not reviewed", "contributors": []}
    node.act(bob, space, "contribution.claim", pending)
    node.act(carol, space, "contribution.review", {"claim": claimed, "verdict": "approve"})

    expanded: list[dict[str, Any]] = jsonld.expand(
        economic_events(space, node.service(Value).ledger(space))
    )
    assert len(expanded) == 2
    by_provider = {e[VF + "provider"][0]["@value"]: e for e in expanded}
    bob_event = by_provider[bob.did]
    assert bob_event["@type"] == [VF + "EconomicEvent"]
    assert bob_event[VF + "action"][0]["@value"] == "work"
    effort = bob_event[VF + "effortQuantity"][0]
    assert effort[OM2 + "hasNumericalValue"][0]["@value"] == 3.0
    assert bob_event[VF + "hasPointInTime"][0]["@value"] == "2025-11-26T00:00:00+00:00"
    assert by_provider[alice.did][VF + "effortQuantity"][0][OM2 + "hasNumericalValue"][0][
        "@value"
    ] == 1.0  # fmt: skip
