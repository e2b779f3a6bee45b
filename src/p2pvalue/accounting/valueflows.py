"""Accepted contributions as ValueFlows EconomicEvents in JSON-LD.

Each accepted claim becomes one `vf:EconomicEvent` per contributor, with that contributor's
share of the quantity: hours as `vf:effortQuantity` of the action `vf:work`, units as
`vf:resourceQuantity` of `vf:produce`, money as `vf:resourceQuantity` of `vf:transfer` in
the currency's major unit. Every action, agent, unit and classification is an IRI once
expanded (the context, `data/valueflows-context.jsonld`, types them so); quantities are
`om2:Measure`s with an `xsd:decimal` value and an OM 2 unit (a currency by its ISO 4217
URN, which OM 2 does not name). The space is the receiver and the scope; an unclaimed
contributor is the agent named by its alias.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from typing import Any

from p2pvalue.accounting.model import Claim, Ledger
from p2pvalue.accounting.money import minor_unit_exponent
from p2pvalue.accounting.types import FULL_SHARE

CONTEXT: dict[str, Any] = json.loads(
    resources.files("p2pvalue.accounting").joinpath("data/valueflows-context.jsonld").read_text()
)["@context"]
ACTIONS = {"hours": "vf:work", "units": "vf:produce", "money": "vf:transfer"}
UNITS = {"hours": "om2:hour", "units": "om2:one"}


def space_urn(space: str) -> str:
    return f"urn:p2pvalue:space:{space}"


def kind_urn(kind: str) -> str:
    return f"urn:p2pvalue:kind:{kind}"


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
        "vf:resourceClassifiedAs": kind_urn(claim.kind),
        measure: _measure(claim, quantity),
        "vf:hasPointInTime": datetime.fromtimestamp(claim.when / 1000, UTC).isoformat(),
        "vf:note": claim.description,
    }


def _measure(claim: Claim, quantity: Fraction) -> dict[str, Any]:
    if claim.unit == "money" and claim.currency:
        major = quantity / 10 ** minor_unit_exponent(claim.currency)
        unit = f"urn:iso:std:iso:4217:{claim.currency}"
        return {"@type": "om2:Measure", "om2:hasNumericalValue": _decimal(major),
                "om2:hasUnit": unit}  # fmt: skip
    return {"@type": "om2:Measure", "om2:hasNumericalValue": _decimal(quantity),
            "om2:hasUnit": UNITS[claim.unit]}  # fmt: skip


def _decimal(value: Fraction) -> str:
    """The exact decimal of a quantity (a share of basis points: at most a few places)."""
    return format(Decimal(value.numerator) / Decimal(value.denominator), "f")
