"""The what-if API: a policy tried on a space's own history and forecast."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from p2pvalue.accounting.money import parse_amount
from p2pvalue.simulation.forecast import Forecast
from p2pvalue.simulation.service import Horizon, Simulation, WhatIf
from p2pvalue.simulation.trial import TrialError
from p2pvalue.web.auth import NodeDep
from p2pvalue.web.value.api import exact

router = APIRouter(prefix="/api/v1/spaces/{space_id}/simulation", tags=["simulation"])


class TrialRequest(BaseModel):
    """A charter patch to try (`value`: equation, acceptance, payout_policy; `decisions`),
    and the forecast's horizon; `budget` in major units of `currency` a month (default:
    the mean monthly income of the last year)."""

    model_config = ConfigDict(extra="forbid")
    patch: dict[str, Any] = Field(default_factory=dict)
    months: int = Field(12, ge=1, le=60)
    runs: int = Field(100, ge=10, le=500)
    budget: str | None = Field(None, max_length=30)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")


@router.post("/what-if")
def try_policy(space_id: str, body: TrialRequest, node: NodeDep) -> dict[str, Any]:
    """Who would have gained and lost had the policy been in force all along, which past
    proposals would have ended otherwise, and the next months forecast under the policy in
    force and the tried one (bands of 100 seeded runs)."""
    simulation = node.service(Simulation)
    currency = body.currency or simulation.currency(space_id)
    budget = parse_amount(body.budget, currency) if body.budget is not None else None
    horizon = Horizon(body.months, body.runs, budget, currency)
    try:
        found = simulation.what_if(space_id, body.patch, horizon)
    except TrialError as refusal:
        raise TrialError(refusal.field, f"{refusal.field}: {refusal.message}") from None
    return what_if_json(found)


def what_if_json(found: WhatIf) -> dict[str, Any]:
    replay = found.replay
    return {
        "value_changed": found.trial.value_changed,
        "decisions_changed": sorted(found.trial.decisions),
        "replay": None if replay is None else {
            "currencies": list(replay.currencies),
            "members": [{
                "member": o.member, "value_before": exact(o.value_before),
                "value_after": exact(o.value_after), "reputation_before": o.reputation_before,
                "reputation_after": o.reputation_after, "paid_before": dict(o.paid_before),
                "paid_after": dict(o.paid_after), "gains": o.gains,
            } for o in replay.members],
            "claims_changed": {claim: list(pair) for claim, pair in replay.statuses.items()},
            "voided_payouts": replay.voided_payouts,
        },
        "recounts": [{
            "proposal": r.proposal, "title": r.title, "kind": r.kind,
            "method_before": r.method_before, "method_after": r.method_after,
            "outcome_before": _outcome(r.passed_before), "outcome_after": _outcome(r.passed_after),
            "winners_before": list(r.winners_before), "winners_after": list(r.winners_after),
            "changed": r.changed, "unreadable": r.unreadable,
        } for r in found.recounts],
        "forecast": None if found.now is None or found.then is None else {
            "months": found.now.months, "runs": found.now.runs, "currency": found.currency,
            "budget": found.budget, "start": found.start,
            "now": _bands(found.now), "then": _bands(found.then),
            "member_paid": {
                member: {"now": list(paid), "then": list(found.then.member_paid[member])}
                for member, paid in found.now.member_paid.items()
            },
        },
    }  # fmt: skip


def _bands(result: Forecast) -> dict[str, Any]:
    return {name: {"low": list(band.low), "median": list(band.median), "high": list(band.high)}
            for name, band in result.bands.items()}  # fmt: skip


def _outcome(passed: bool) -> str:
    return "passed" if passed else "rejected"
