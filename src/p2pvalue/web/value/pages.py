"""Pages for a space's value: log a claim, the review queue and endorsements, accepted work,
income and balances, and payouts previewed and run."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from p2pvalue.accounting.equation import charter_equation, parse_equation
from p2pvalue.accounting.money import format_amount, parse_amount, parse_share
from p2pvalue.accounting.payouts import Explanation
from p2pvalue.accounting.reputation import explain
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import FULL_SHARE, ValuePolicy, value_policy
from p2pvalue.accounts import Account
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.event import now_ms
from p2pvalue.node import Node
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.layout import act_and_return, back_with, render, space_authority, templates
from p2pvalue.web.value.listing import STATUSES, claim_page
from p2pvalue.web.value.query import PageQuery

router = APIRouter(include_in_schema=False)
CO_CONTRIBUTOR_ROWS = 3


def money(minor: int, currency: str) -> str:
    """Minor units shown in major units with the code; raw minor units for a code that is
    not ISO 4217 (a remote node may record income in one)."""
    try:
        return format_amount(minor, currency)
    except P2PError:
        return f"{minor} {currency} (minor units)"


templates.env.filters["money"] = money


@router.get("/spaces/{space_id}/value")
def value_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep,
    status: str = "", kind: str = "", member: str = "", after: str = "", before: str = "",
    limit: str = "",
) -> HTMLResponse:  # fmt: skip
    """A page of the space's claims, newest first (`after` the last claim of the page
    before, or `before` the first of the page after), with every member's value; a filter,
    limit or cursor that does not fit is said in words and the first page shown instead."""
    try:
        space = node.space(space_id)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    ledger = node.service(Value).ledger(space_id)
    query = PageQuery.read(status, kind, member, limit, after, before)
    newest_first = list(reversed(ledger.claims.values()))
    try:
        page = claim_page(newest_first, query.chosen, query.limit, query.after, query.before)
    except P2PError:
        query = query.without_cursor()
        page = claim_page(newest_first, query.chosen, query.limit)
    values = ledger.member_values()
    table = sorted(((v, did) for did, v in values.items()), reverse=True)
    people = {did for claim in page.claims for did in (*claim.shares, *claim.reviews)} | set(values)
    people |= {did for claim in page.claims for did in claim.endorsements}
    people |= {did for run in ledger.payouts for did in run.allocations}
    current = [m["did"] for m in node.members(space_id) if m["status"] == "member"]
    projects = {c.project for c in newest_first} | {i.earmark for i in ledger.income}
    kinds = (space.charter.get("value") or {}).get("kinds", [])
    return render(
        request, "value.html", account, 422 if query.problem else 200, error=query.problem,
        space=space, page=page, query=query, ledger=ledger, statuses=STATUSES,
        accepted=sum(1 for c in newest_first if c.status == "accepted"),
        names=node.accounts.names(sorted(people | set(current))), table=table,
        total=sum(values.values(), Fraction(0)), kinds=kinds,
        is_member=account is not None and account.did in current,
        may=permitted(node, space_id, account), projects=sorted(p for p in projects if p),
        others=[did for did in current if account is None or did != account.did],
        rows=range(1, CO_CONTRIBUTOR_ROWS + 1),
        pots=sorted(ledger.pots.items(), key=lambda pot: (pot[0][0], pot[0][1] or "")),
    )  # fmt: skip


def permitted(node: Node, space: str, account: Account | None) -> Callable[[str], bool]:
    """Whether `account` may now emit an event type in `space`, by the charter in force."""
    log = node.writer.log(space)
    authority = log.authority if log is not None else None
    if authority is None or account is None:
        return lambda _: False
    roles, charter = authority.roles_of(account.did), authority.charter
    return lambda type: charter.allows(roles, type)


@router.get("/spaces/{space_id}/members/{member}")
def member_page(
    request: Request, space_id: str, member: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """A member's contributions and value, and where their reputation comes from."""
    try:
        space = node.space(space_id)
        explanation = explain(node.service(Value).reputation(space_id), member)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    ledger = node.service(Value).ledger(space_id)
    claims = [c for c in ledger.claims.values() if member in c.shares]
    values = ledger.member_values()
    total = sum(values.values(), Fraction(0))
    sources = {path.source for flow in explanation.flows for path in flow.paths if path.source}
    return render(
        request, "member.html", account, space=space, member=member, claims=claims,
        value=values.get(member, Fraction(0)), total=total, explanation=explanation,
        names=node.accounts.names(sorted({member} | sources)), ledger=ledger,
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
    ledger = node.service(Value).ledger(space_id)
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
    evidence: Annotated[str, Form()] = "", project: Annotated[str, Form(max_length=200)] = "",
    my_share: Annotated[str, Form(max_length=20)] = "100",
    co_member: Annotated[list[str] | None, Form(max_length=50)] = None,
    co_share: Annotated[list[str] | None, Form(max_length=50)] = None,
) -> Response:  # fmt: skip
    """Log a claim; with co-contributors, everyone's share in percent (two decimals at most),
    which must add up to 100."""
    content: dict[str, Any] = {
        "kind": kind, "description": description.strip(), "quantity": quantity, "unit": unit,
        "evidence": [line.strip() for line in evidence.splitlines() if line.strip()],
    }  # fmt: skip
    if project.strip():
        content["project"] = project.strip()
    back = f"/spaces/{space_id}/value"
    try:
        contributors = _contributors(account.did, my_share, co_member or [], co_share or [])
    except P2PError as error:
        return back_with(back, error.message)
    if contributors:
        content["contributors"] = contributors
    return act_and_return(node, account, space_id, "contribution.claim", content, back)


def _contributors(
    me: str, my_share: str, members: list[str], shares: list[str]
) -> list[dict[str, Any]]:
    """The claim's contributors in basis points: none (the claimant holds it all) unless a
    co-contributor is chosen or the claimant's own share is not 100 %."""
    chosen = [(m, share) for m, share in zip(members, shares, strict=False) if m]
    if not chosen and parse_share(my_share or "100") == FULL_SHARE:
        return []
    return [{"member": m, "share": parse_share(share)} for m, share in [(me, my_share), *chosen]]


@router.post("/spaces/{space_id}/value/endorse")
def endorse_claim(
    space_id: str, node: NodeDep, account: AccountDep, claim: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:  # fmt: skip
    content = {"claim": claim, **({"note": note.strip()} if note.strip() else {})}
    back = f"/spaces/{space_id}/value"
    return act_and_return(node, account, space_id, "contribution.endorse", content, back)


@router.post("/spaces/{space_id}/value/income")
def record_income(
    space_id: str, node: NodeDep, account: AccountDep,
    amount: Annotated[str, Form(max_length=40)], currency: Annotated[str, Form(max_length=8)],
    source: Annotated[str, Form(max_length=200)],
    earmark: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    """Record income given in major units ('12.34' EUR is 1234 cents), exactly or not at all."""
    back = f"/spaces/{space_id}/value"
    try:
        minor = parse_amount(amount.strip(), currency.strip().upper())
    except P2PError as error:
        return back_with(back, error.message)
    content: dict[str, Any] = {
        "amount": minor, "currency": currency.strip().upper(), "source": source.strip()
    }  # fmt: skip
    if earmark.strip():
        content["earmark"] = earmark.strip()
    return act_and_return(node, account, space_id, "income.record", content, back)


@router.get("/spaces/{space_id}/value/payout")
def payout_preview(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep,
    currency: Annotated[str, Query(max_length=8)] = "EUR",
    amount: Annotated[str, Query(max_length=40)] = "",
    earmark: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:  # fmt: skip
    """What paying out `amount` (major units) would give each member, and why."""
    try:
        space = node.space(space_id)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    form = {"currency": currency.strip().upper(), "amount": amount.strip(),
            "earmark": earmark.strip()}  # fmt: skip
    context: dict[str, Any] = {"space": space, "form": form, "rows": None,
                               "policy": _value_policy(node, space_id),
                               "may": permitted(node, space_id, account)}  # fmt: skip
    if not form["amount"]:
        return render(request, "payout.html", account, **context)
    try:
        budget = parse_amount(form["amount"], form["currency"])
        payout = node.service(Value).payout_plan(space_id, form["currency"], budget, now_ms(),
                             form["earmark"] or None)  # fmt: skip
    except P2PError as error:
        return render(request, "payout.html", account, 422, error=error.message, **context)
    paid = sorted((-part.amount, did) for did, part in payout.explanations.items() if part.amount)
    rows = [(did, -minus, describe(payout.explanations[did], form["currency"]))
            for minus, did in paid]  # fmt: skip
    context |= {"rows": rows, "payout": payout, "names": node.accounts.names(list(payout.amounts))}
    return render(request, "payout.html", account, **context)


def _value_policy(node: Node, space_id: str) -> ValuePolicy | None:
    """The value policy of the charter in force in the space, if it has one."""
    state = space_authority(node, space_id)
    return value_policy(state.charter) if state is not None else None


@router.post("/spaces/{space_id}/value/payout")
def run_payout(
    space_id: str, node: NodeDep, account: AccountDep,
    currency: Annotated[str, Form(max_length=8)], amount: Annotated[str, Form(max_length=40)],
    earmark: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    """Run the payout that was previewed: planned again now, signed, recorded."""
    try:
        budget = parse_amount(amount.strip(), currency)
        outcome = node.service(Value).pay_out(
            account, space_id, currency, budget, earmark.strip() or None
        )
        problem = outcome.message if outcome.status in ("rejected", "refused") else None
    except P2PError as error:
        problem = error.message
    return back_with(f"/spaces/{space_id}/value", problem)


BUCKET_NAMES = {
    "value_last_period": "value in the last 30 days", "decayed_value": "decayed value",
    "reimbursement": "expenses not yet paid back", "value": "value",
}  # fmt: skip


def describe(explanation: Explanation, currency: str) -> str:
    """Why a member gets their amount, in words: their BALANCED standing, or the part of
    each bucket they got."""
    balance = explanation.balance
    if balance is not None:
        return (f"{100 * float(balance.share):.1f} % of the value; target "
                f"{money(round(balance.target), currency)}, paid so far "
                f"{money(balance.paid_so_far, currency)}, short by "
                f"{money(round(balance.underpayment), currency)}")  # fmt: skip
    return "; ".join(
        f"{BUCKET_NAMES.get(part.bucket, part.bucket)}: "
        f"{100 * float(part.weight / part.total_weight):.1f} % of {money(part.pot, currency)}"
        for part in explanation.portions if part.amount
    )  # fmt: skip


@router.post("/spaces/{space_id}/value/review")
def review_claim(
    space_id: str, node: NodeDep, account: AccountDep,
    claim: Annotated[str, Form()], verdict: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    content = {"claim": claim, "verdict": verdict, "reason": reason.strip()}
    back = f"/spaces/{space_id}/value"
    return act_and_return(node, account, space_id, "contribution.review", content, back)
