"""Pages for a space's value: log a claim, the review queue, accepted work, balances."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from p2pvalue.accounting.equation import charter_equation, parse_equation
from p2pvalue.accounting.reputation import explain
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.pages import act_and_return, render

router = APIRouter(include_in_schema=False)


@router.get("/spaces/{space_id}/value")
def value_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    try:
        space = node.space(space_id)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    ledger = node.ledger(space_id)
    claims = list(reversed(ledger.claims.values()))
    values = ledger.member_values()
    total = sum(values.values(), Fraction(0))
    table = sorted(((v, did) for did, v in values.items()), reverse=True)
    people = {did for claim in claims for did in (*claim.shares, *claim.reviews)} | set(values)
    people |= {did for run in ledger.payouts for did in run.allocations}
    members = {m["did"]: m for m in node.members(space_id)}
    mine = members.get(account.did) if account else None
    kinds = (space.charter.get("value") or {}).get("kinds", [])
    return render(
        request, "value.html", account, space=space, claims=claims, ledger=ledger,
        names=node.accounts.names(sorted(people)), table=table, total=total, kinds=kinds,
        is_member=bool(mine and mine["status"] == "member"),
    )  # fmt: skip


@router.get("/spaces/{space_id}/members/{member}")
def member_page(
    request: Request, space_id: str, member: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """A member's contributions and value, and where their reputation comes from."""
    try:
        space = node.space(space_id)
        explanation = explain(node.reputation(space_id), member)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    ledger = node.ledger(space_id)
    claims = [c for c in ledger.claims.values() if member in c.shares]
    values = ledger.member_values()
    total = sum(values.values(), Fraction(0))
    return render(
        request, "member.html", account, space=space, member=member, claims=claims,
        value=values.get(member, Fraction(0)), total=total, explanation=explanation,
        names=node.accounts.names([member]), ledger=ledger,
    )  # fmt: skip


@router.get("/spaces/{space_id}/what-if")
def what_if_form(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """A proposed value equation, edited from the one in force, and its effect per member."""
    space = node.space(space_id)
    policy = space.charter.get("value") or {}
    current = charter_equation(policy.get("kinds", []), policy.get("equation")).to_content()
    text = orjson.dumps(current, option=orjson.OPT_INDENT_2).decode()
    return render(request, "what_if.html", account, space=space, equation=text, rows=None)


@router.post("/spaces/{space_id}/what-if")
def what_if_result(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep,
    equation: Annotated[str, Form(max_length=100_000)],
) -> HTMLResponse:  # fmt: skip
    space = node.space(space_id)
    kinds = (space.charter.get("value") or {}).get("kinds", [])
    try:
        proposed = parse_equation(orjson.loads(equation), kinds)
    except (orjson.JSONDecodeError, P2PError) as error:
        message = error.message if isinstance(error, P2PError) else "the equation is not JSON"
        return render(request, "what_if.html", account, 422, space=space, equation=equation,
                      rows=None, error=message)  # fmt: skip
    ledger = node.ledger(space_id)
    before, after = ledger.member_values(), ledger.member_values(proposed)
    total_before = sum(before.values(), Fraction(0)) or Fraction(1)
    total_after = sum(after.values(), Fraction(0)) or Fraction(1)
    rows = [
        (did, before.get(did, Fraction(0)), after.get(did, Fraction(0)),
         before.get(did, Fraction(0)) / total_before, after.get(did, Fraction(0)) / total_after)
        for did in sorted(set(before) | set(after))
    ]  # fmt: skip
    names = node.accounts.names([row[0] for row in rows])
    return render(request, "what_if.html", account, space=space, equation=equation, rows=rows,
                  names=names)  # fmt: skip


@router.post("/spaces/{space_id}/value/claim")
def log_claim(
    space_id: str, node: NodeDep, account: AccountDep,
    kind: Annotated[str, Form()], description: Annotated[str, Form()],
    quantity: Annotated[int, Form()], unit: Annotated[str, Form()] = "hours",
    evidence: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    content: dict[str, Any] = {
        "kind": kind, "description": description.strip(), "quantity": quantity, "unit": unit,
        "evidence": [line.strip() for line in evidence.splitlines() if line.strip()],
    }  # fmt: skip
    back = f"/spaces/{space_id}/value"
    return act_and_return(node, account, space_id, "contribution.claim", content, back)


@router.post("/spaces/{space_id}/value/review")
def review_claim(
    space_id: str, node: NodeDep, account: AccountDep,
    claim: Annotated[str, Form()], verdict: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    content = {"claim": claim, "verdict": verdict, "reason": reason.strip()}
    back = f"/spaces/{space_id}/value"
    return act_and_return(node, account, space_id, "contribution.review", content, back)
