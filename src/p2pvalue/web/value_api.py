"""The value part of the API: a space's ledger, its claims and the review queue."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Query

from p2pvalue.accounting.ledger import Claim, Ledger
from p2pvalue.web.auth import NodeDep

router = APIRouter(prefix="/api/v1/spaces/{space_id}", tags=["value"])
ClaimStatus = Literal["pending", "disputed", "accepted", "rejected"]


def claim_json(claim: Claim) -> dict[str, Any]:
    found = asdict(claim)
    found["evidence"] = list(claim.evidence)
    found["reviews"] = [asdict(review) for review in claim.reviews.values()]
    return found


def ledger_summary(ledger: Ledger) -> dict[str, Any]:
    currencies = sorted(set(ledger.received) | set(ledger.paid_out))
    return {
        "claims": {status: sum(1 for c in ledger.claims.values() if c.status == status)
                   for status in ("pending", "disputed", "accepted", "rejected")},
        "balances": {currency: ledger.balance(currency) for currency in currencies},
        "received": ledger.received,
        "paid_out": ledger.paid_out,
        "income": [asdict(income) for income in ledger.income],
        "payouts": [asdict(payout) for payout in ledger.payouts],
        "void": ledger.void,
    }  # fmt: skip


@router.get("/ledger")
def get_ledger(space_id: str, node: NodeDep) -> dict[str, Any]:
    """Balances, income, payout runs, claim counts, and the events that took no effect."""
    return ledger_summary(node.ledger(space_id))


@router.get("/claims")
def list_claims(
    space_id: str,
    node: NodeDep,
    status: ClaimStatus | None = Query(None, description="only claims with this status"),
    member: str | None = Query(None, max_length=80, description="only claims sharing this member"),
) -> dict[str, Any]:
    """Claims in the order they were made; `status=pending` is the review queue."""
    claims = node.ledger(space_id).claims.values()
    chosen = [
        claim_json(claim)
        for claim in claims
        if (status is None or claim.status == status) and (member is None or member in claim.shares)
    ]
    return {"claims": chosen}
