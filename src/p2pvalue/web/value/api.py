"""The value part of the API: the ledger, claims and the review queue, member values and
the what-if comparison of a proposed value equation."""

from __future__ import annotations

from dataclasses import asdict
from fractions import Fraction
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from p2pvalue.accounting.equation import parse_equation
from p2pvalue.accounting.model import Claim, Ledger
from p2pvalue.accounting.reputation import explain
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.valueflows import economic_events
from p2pvalue.errors import P2PError
from p2pvalue.events.event import now_ms
from p2pvalue.events.types import EVENT_ID_PATTERN
from p2pvalue.web.auth import AccountDep, NodeDep
from p2pvalue.web.spaces.api import outcome_response
from p2pvalue.web.value.listing import DEFAULT_LIMIT, MAX_LIMIT, ClaimFilter, claim_page

router = APIRouter(prefix="/api/v1/spaces/{space_id}", tags=["value"])
ClaimStatus = Literal["pending", "disputed", "accepted", "rejected"]


class ProposedEquation(BaseModel):
    equation: dict[str, Any]


class PayoutRequest(BaseModel):
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    budget: int = Field(gt=0, le=2**53 - 1)
    earmark: str | None = Field(None, min_length=1, max_length=200)


def exact(value: Fraction) -> dict[str, Any]:
    """A rational as JSON: exact numerator and denominator, and a decimal for display."""
    return {"num": value.numerator, "den": value.denominator, "approx": float(value)}


def claim_json(claim: Claim) -> dict[str, Any]:
    found = {name: getattr(claim, name) for name in (
        "id", "author", "kind", "description", "quantity", "unit", "currency", "paid", "ts",
        "when", "project", "shares", "status", "decided_by", "bounty_paid")}  # fmt: skip
    if claim.bounty is not None:
        found["bounty"] = {"amount": claim.bounty[0], "currency": claim.bounty[1]}
    found["evidence"] = list(claim.evidence)
    found["reviews"] = [asdict(review) for review in claim.reviews.values()]
    found["endorsements"] = [asdict(e) for e in claim.endorsements.values()]
    if claim.valued is not None:
        found["value"] = exact(claim.valued.value)
        found["equation_version"] = claim.valued.equation_version
        found["breakdown"] = [{"step": s.step, "factor": exact(s.factor)}
                              for s in claim.valued.breakdown]  # fmt: skip
    return found


def ledger_summary(ledger: Ledger) -> dict[str, Any]:
    """Claim counts, money and void events; `balances` is the income without an earmark
    still to pay out, `earmarked` the same per earmark."""
    balances: dict[str, int] = {}
    earmarked: dict[str, dict[str, int]] = {}
    for (currency, earmark), amount in sorted(ledger.pots.items(), key=lambda p: p[0][0]):
        pot = balances if earmark is None else earmarked.setdefault(earmark, {})
        pot[currency] = amount
    return {
        "claims": {status: sum(1 for c in ledger.claims.values() if c.status == status)
                   for status in ("pending", "disputed", "accepted", "rejected")},
        "balances": balances,
        "earmarked": dict(sorted(earmarked.items())),
        "received": ledger.received,
        "paid_out": ledger.paid_out,
        "income": [asdict(income) for income in ledger.income],
        "payouts": [asdict(payout) for payout in ledger.payouts],
        "spends": [asdict(spend) for spend in ledger.spends],
        "void": ledger.void,
    }  # fmt: skip


def shares_json(values: dict[str, Fraction]) -> dict[str, dict[str, Any]]:
    total = sum(values.values(), Fraction(0))
    return {
        member: {"value": exact(value), "share": exact(value / total if total else Fraction(0))}
        for member, value in sorted(values.items())
    }


@router.get("/ledger")
def get_ledger(space_id: str, node: NodeDep) -> dict[str, Any]:
    """Balances, income, payout runs, claim counts, and the events that took no effect."""
    return ledger_summary(node.service(Value).ledger(space_id))


@router.get("/claims")
def list_claims(
    space_id: str,
    node: NodeDep,
    status: ClaimStatus | None = Query(None, description="only claims with this status"),
    member: str | None = Query(None, max_length=80, description="only claims sharing this member"),
    kind: str | None = Query(None, max_length=80, description="only claims of this kind"),
    after: str | None = Query(
        None,
        max_length=43,
        description="a page's `next`: continue after this claim",
        json_schema_extra={"pattern": EVENT_ID_PATTERN},
    ),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="claims per page"),
) -> dict[str, Any]:
    """A page of claims in the order they were made, each accepted one with its value and
    breakdown; `status=pending` is the review queue. `total` counts the claims that pass
    the filters, `statuses` those that pass all but `status`, per status; pass `next` as
    `after` for the following page (null on the last)."""
    chosen = ClaimFilter(status, member, kind)
    page = claim_page(
        list(node.service(Value).ledger(space_id).claims.values()), chosen, limit, after
    )
    return {"claims": [claim_json(claim) for claim in page.claims], "next": page.next,
            "total": page.total, "statuses": page.statuses}  # fmt: skip


@router.get("/values")
def member_values(space_id: str, node: NodeDep) -> dict[str, Any]:
    """Each member's accepted value and share of the space's total."""
    return {"members": shares_json(node.service(Value).ledger(space_id).member_values())}


@router.post("/what-if")
def what_if(space_id: str, body: ProposedEquation, node: NodeDep) -> dict[str, Any]:
    """Per member, value and share now and under a proposed equation: the diff a voter sees."""
    policy = node.space(space_id).charter.get("value")
    if policy is None:
        raise P2PError("value_not_enabled", "this space's charter has no value policy", 422)
    proposed = parse_equation(body.equation, policy["kinds"])
    ledger = node.service(Value).ledger(space_id)
    before, after = shares_json(ledger.member_values()), shares_json(ledger.member_values(proposed))
    return {"members": {m: {"before": before.get(m), "after": after.get(m)}
                        for m in sorted(set(before) | set(after))}}  # fmt: skip


@router.post("/payouts/preview")
def preview_payout(space_id: str, body: PayoutRequest, node: NodeDep) -> dict[str, Any]:
    """What a payout of `budget` would give each member now, and why; with `earmark`, out
    of the income earmarked for that project, split by the value of its claims."""
    payout = node.service(Value).payout_plan(
        space_id, body.currency, body.budget, now_ms(), body.earmark
    )
    amounts = {m: a for m, a in payout.amounts.items() if a}
    labels = node.service(Value).ledger(space_id).labels()
    return {
        "policy": payout.policy, "currency": body.currency, "budget": payout.budget,
        "earmark": body.earmark, "amounts": amounts,
        "explanations": {m: asdict(e) for m, e in payout.explanations.items() if e.amount},
        "unclaimed": {m: labels[m] for m in amounts if m in labels},
    }  # fmt: skip


@router.get("/unclaimed")
def unclaimed_contributors(space_id: str, node: NodeDep) -> dict[str, Any]:
    """The people imported work credits whom no member has claimed yet: by alias, the
    name the source gave them, their value, how many claims credit them, and the payouts
    held for them per currency (minor units). Never their address: the log has only its
    hash."""
    node.space(space_id)
    ledger = node.service(Value).ledger(space_id)
    values, labels = ledger.member_values(), ledger.labels()
    held = {currency: ledger.held(currency) for currency in sorted(ledger.paid)}
    people = [
        {"alias": alias, "label": labels[alias], "value": exact(values.get(alias, Fraction(0))),
         "claims": len(ledger.unclaimed[alias]),
         "held": {c: by[alias] for c, by in held.items() if by.get(alias)}}
        for alias in sorted(ledger.unclaimed)
    ]  # fmt: skip
    return {"unclaimed": people, "held": {c: sum(by.values()) for c, by in held.items() if by}}


@router.post("/payouts", status_code=201)
def run_payout(
    space_id: str, body: PayoutRequest, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Pay out `budget` by the charter's policy (out of `earmark`'s income when one is
    named): a signed `payout.run` anyone can recompute."""
    outcome = node.service(Value).pay_out(
        account, space_id, body.currency, body.budget, body.earmark
    )
    return outcome_response(outcome)


@router.post("/claims/{claim_id}/bounty", status_code=201)
def pay_bounty(space_id: str, claim_id: str, account: AccountDep, node: NodeDep) -> JSONResponse:
    """Pay an accepted claim's money bounty out of the space's pot (its project's earmark
    when that holds enough): a signed `bounty.pay`, split by the claim's shares."""
    return outcome_response(node.service(Value).pay_bounty(account, space_id, claim_id))


Responses = dict[int | str, dict[str, Any]]
CSV: Responses = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}
JSON_LD: Responses = {200: {"content": {"application/ld+json": {"schema": {"type": "object"}}}}}


@router.get("/payouts.csv", response_class=Response, responses=CSV)
def payouts_csv(
    space_id: str,
    node: NodeDep,
    earmark: str | None = Query(None, max_length=200, description="only runs of this earmark"),
) -> Response:
    """Every payout, one row per member paid: run, time, currency, policy, member, amount and
    the earmark it paid out of (empty for none)."""
    rows = ["payout,ts,currency,policy,member,amount_minor,earmark"]
    for run in node.service(Value).ledger(space_id).payouts:
        if earmark is not None and run.earmark != earmark:
            continue
        for member, amount in sorted(run.allocations.items()):
            rows.append(f"{run.id},{run.ts},{run.currency},{run.policy},{member},{amount},"
                        f"{_csv_field(run.earmark or '')}")  # fmt: skip
    return Response("\n".join(rows) + "\n", media_type="text/csv")


def _csv_field(text: str) -> str:
    """A CSV field: quoted when it holds a comma, quote or line break (RFC 4180)."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


@router.get("/valueflows.jsonld", response_class=Response, responses=JSON_LD)
def valueflows(space_id: str, node: NodeDep) -> JSONResponse:
    """Accepted contributions as ValueFlows EconomicEvents (JSON-LD), one per contributor."""
    document = economic_events(space_id, node.service(Value).ledger(space_id))
    return JSONResponse(document, media_type="application/ld+json")


@router.get("/reputation")
def get_reputation(space_id: str, node: NodeDep) -> dict[str, Any]:
    """Each member's graph reputation (scores sum to 1 over contributors)."""
    result = node.service(Value).reputation(space_id)
    ranked = sorted(result.scores.items(), key=lambda item: (-item[1], item[0]))
    return {"scores": dict(ranked), "iterations": result.iterations, "converged": result.converged}


@router.get("/reputation/{member}")
def explain_reputation(space_id: str, member: str, node: NodeDep) -> dict[str, Any]:
    """Where a member's reputation comes from: the contributions and paths it flowed along."""
    return asdict(explain(node.service(Value).reputation(space_id), member))
