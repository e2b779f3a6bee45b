"""ValueFlows export: real JSON-LD, expanded by pyld against the vendored context (never the
network) to the vocabulary's IRIs: actions, agents, units, typed measures, scope and kind."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from pyld import jsonld

from p2pvalue.accounting.service import Value
from p2pvalue.accounting.valueflows import CONTEXT, economic_events
from p2pvalue.node import Node

VF = "https://w3id.org/valueflows/ont/vf#"
OM2 = "http://www.ontology-of-units-of-measure.org/resource/om-2/"
XSD = "http://www.w3.org/2001/XMLSchema#"
VENDORED = "https://w3id.org/valueflows/context.jsonld"  # the address the test serves it at


def offline(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld's document loader: the vendored context only, never the network."""
    if url != VENDORED:
        raise AssertionError(f"fetched {url} from the network")
    text = resources.files("p2pvalue.accounting").joinpath("data/valueflows-context.jsonld")
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(text.read_text())}


@pytest.fixture
def expanded(node: Node) -> tuple[list[dict[str, Any]], dict[str, str], str]:
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
    spent = {"kind": "money", "description": "Parts", "quantity": 1250, "unit": "money",
             "currency": "EUR", "date": 1_764_115_200_000}  # fmt: skip
    paid = node.act(carol, space, "contribution.claim", spent).id
    node.act(bob, space, "contribution.review", {"claim": paid, "verdict": "approve"})
    document = economic_events(space, node.service(Value).ledger(space))
    assert document["@context"] == offline(VENDORED)["document"]["@context"] == CONTEXT
    document["@context"] = VENDORED  # expand against the vendored copy, by its address
    dids = {"alice": alice.did, "bob": bob.did, "carol": carol.did}
    return jsonld.expand(document, {"documentLoader": offline}), dids, space


def test_every_event_expands_to_valueflows_iris(
    expanded: tuple[list[dict[str, Any]], dict[str, str], str],
) -> None:
    events, dids, space = expanded
    assert len(events) == 3
    for event in events:
        assert event["@type"] == [VF + "EconomicEvent"]
        assert event[VF + "inScopeOf"] == [{"@id": f"urn:p2pvalue:space:{space}"}]
        assert event[VF + "receiver"] == [{"@id": f"urn:p2pvalue:space:{space}"}]
        [kind] = event[VF + "resourceClassifiedAs"]
        assert kind["@id"].startswith("urn:p2pvalue:kind:")
    by_provider = {e[VF + "provider"][0]["@id"]: e for e in events}
    assert set(by_provider) == set(dids.values())
    bob = by_provider[dids["bob"]]
    assert bob[VF + "action"] == [{"@id": VF + "work"}]
    assert bob[VF + "effortQuantity"] == [{
        "@type": [OM2 + "Measure"],
        OM2 + "hasNumericalValue": [{"@type": XSD + "decimal", "@value": "3"}],
        OM2 + "hasUnit": [{"@id": OM2 + "hour"}],
    }]  # fmt: skip
    assert bob[VF + "hasPointInTime"] == [
        {"@type": XSD + "dateTime", "@value": "2025-11-26T00:00:00+00:00"}
    ]
    carol = by_provider[dids["carol"]]
    assert carol[VF + "action"] == [{"@id": VF + "transfer"}]
    assert carol[VF + "resourceQuantity"][0][OM2 + "hasNumericalValue"][0]["@value"] == "12.5"
    assert carol[VF + "resourceClassifiedAs"] == [{"@id": "urn:p2pvalue:kind:money"}]
