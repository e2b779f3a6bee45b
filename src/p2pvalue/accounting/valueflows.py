"""Accepted contributions as ValueFlows EconomicEvents in JSON-LD.

Each accepted claim becomes one `vf:EconomicEvent` per contributor, with that contributor's
share of the quantity: hours as `vf:effortQuantity` of the action `work`, units as
`vf:resourceQuantity` of `produce`, money as `vf:resourceQuantity` of `transfer` in the
currency's major unit. The space is the receiver and the scope.
"""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from p2pvalue.accounting.model import Claim, Ledger
from p2pvalue.accounting.money import minor_unit_exponent
from p2pvalue.accounting.types import FULL_SHARE

CONTEXT = {
    "vf": "https://w3id.org/valueflows/ont/vf#",
    "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "vf:hasPointInTime": {"@type": "xsd:dateTime"},
}
ACTIONS = {"hours": "work", "units": "produce", "money": "transfer"}


def space_urn(space: str) -> str:
    return f"urn:p2pvalue:space:{space}"


def economic_events(space: str, ledger: Ledger) -> dict[str, Any]:
    """The space's accepted contributions as one JSON-LD document."""
    graph = [
        _event(space, claim, member, share)
        for claim in ledger.accepted_claims()
        for member, share in sorted(claim.shares.items())
    ]
    return {"@context": CONTEXT, "@graph": graph}


def _event(space: str, claim: Claim, member: str, share: int) -> dict[str, Any]:
    quantity = Fraction(claim.quantity * share, FULL_SHARE)
    measure = "vf:effortQuantity" if claim.unit == "hours" else "vf:resourceQuantity"
    return {
        "@id": f"urn:p2pvalue:event:{claim.id}#{member}",
        "@type": "vf:EconomicEvent",
        "vf:action": ACTIONS[claim.unit],
        "vf:provider": member,
        "vf:receiver": space_urn(space),
        "vf:inScopeOf": space_urn(space),
        measure: _measure(claim, quantity),
        "vf:hasPointInTime": datetime.fromtimestamp(claim.when / 1000, UTC).isoformat(),
        "vf:note": claim.description,
        "vf:classifiedAs": claim.kind,
    }


def _measure(claim: Claim, quantity: Fraction) -> dict[str, Any]:
    if claim.unit == "money" and claim.currency:
        major = quantity / 10 ** minor_unit_exponent(claim.currency)
        return {"om2:hasNumericalValue": float(major), "om2:hasUnit": claim.currency}
    unit = "om2:hour" if claim.unit == "hours" else "om2:one"
    return {"om2:hasNumericalValue": float(quantity), "om2:hasUnit": unit}
