"""Pages for a space's value: log a claim, the review queue and endorsements, accepted work,
income and balances, and payouts previewed and run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from p2pvalue.accounting.equation import charter_equation, parse_equation
from p2pvalue.accounting.model import Ledger
from p2pvalue.accounting.money import format_amount
from p2pvalue.accounting.payouts import Explanation, Payout
from p2pvalue.accounting.reputation import explain
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import ValuePolicy, value_policy
from p2pvalue.accounts import Account
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.event import now_ms
from p2pvalue.node import Node
from p2pvalue.rates import RateLimited
from p2pvalue.social import Social
from p2pvalue.web.activity import happenings, tell
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.i18n import N_, gettext
from p2pvalue.web.layout import (
    FieldProblem,
    back_with,
    json_object,
    render,
    space_authority,
    templates,
)
from p2pvalue.web.naming import names_of
from p2pvalue.web.paging import page_of
from p2pvalue.web.value.forms import (
    CLAIM_FIELDS,
    ClaimForm,
    Errors,
    read_amount,
    read_currency,
    refusal,
    short_of,
)
from p2pvalue.web.value.listing import STATUSES, claim_page
from p2pvalue.web.value.query import PageQuery

router = APIRouter(include_in_schema=False)
CO_CONTRIBUTOR_ROWS = 3
RECENT = 10  # a member's latest events shown on their page in a space
MOST_SUGGESTED = 200  # co-authors' usernames offered as typed, up to this many members
MAX_NOTE = 2000  # an endorsement's note, in characters
FORM_PROBLEM = N_("Something in the form needs a change: see the note next to it.")
UNUSABLE = N_("This equation cannot be used: %(reason)s.")
EQUATION_PROBLEMS = {
    "unknown_kind": N_("The equation values a kind of work the charter does not list: "
                       "%(reason)s."),
    "unknown_multiplier": N_("A kind names a multiplier the equation does not define: "
                             "%(reason)s."),
}  # fmt: skip


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
    query = PageQuery.read(status, kind, member, limit, after, before)
    return value_view(request, node, account, space_id, query)


def value_view(
    request: Request, node: Node, account: Account | None, space_id: str,
    query: PageQuery | None = None, typed: Mapping[str, Any] | None = None,
    errors: Mapping[str, Errors] | None = None,
) -> HTMLResponse:  # fmt: skip
    """The value page; after a form that did not fit, what was `typed` in it is shown
    again with its `errors` next to the fields (422)."""
    try:
        space = node.space(space_id)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    query = query or PageQuery.read("", "", "", "", "", "")
    ledger = node.service(Value).ledger(space_id)
    newest_first = list(reversed(ledger.claims.values()))
    try:
        page = claim_page(newest_first, query.chosen, query.limit, query.after, query.before)
    except P2PError:
        query = query.without_cursor()
        page = claim_page(newest_first, query.chosen, query.limit)
    values = ledger.member_values()
    table = page_of(request, sorted(((v, did) for did, v in values.items()), reverse=True),
                    path=f"/spaces/{space_id}/value", anchor="values")  # fmt: skip
    people = {did for claim in page.claims for did in (*claim.shares, *claim.reviews)}
    people |= {did for _, did in table.items}
    people |= {did for claim in page.claims for did in claim.endorsements}
    people |= {did for run in ledger.payouts for did in run.allocations}
    current = [m["did"] for m in node.members(space_id) if m["status"] == "member"]
    others = [did for did in current if account is None or did != account.did]
    listed = others if len(others) <= MOST_SUGGESTED else []
    shown = names_of(node, people | set(listed), account.did if account else None)
    names = {**ledger.labels(), **shown}
    unclaimed = sorted(((values.get(a, Fraction(0)), a) for a in ledger.unclaimed), reverse=True)
    projects = {c.project for c in newest_first} | {i.earmark for i in ledger.income}
    kinds = (space.charter.get("value") or {}).get("kinds", [])
    problem = query.problem or (gettext(FORM_PROBLEM) if errors else None)
    return render(
        request, "value.html", account, 422 if problem else 200, error=problem,
        space=space, page=page, query=query, ledger=ledger, statuses=STATUSES,
        accepted=sum(1 for c in newest_first if c.status == "accepted"),
        names=names, table=table, total=sum(values.values(), Fraction(0)), kinds=kinds,
        is_member=account is not None and account.did in current,
        may=permitted(node, space_id, account), projects=sorted(p for p in projects if p),
        usernames=sorted(filter(None, map(shown.username, listed))), co_authors=bool(others),
        rows=range(1, CO_CONTRIBUTOR_ROWS + 1),
        pots=sorted(ledger.pots.items(), key=lambda pot: (pot[0][0], pot[0][1] or "")),
        typed=typed or {}, errors=errors or {}, claim=(typed or {}).get("claim") or ClaimForm(),
        unclaimed=unclaimed, held=held_payouts(ledger),
    )  # fmt: skip


def held_payouts(ledger: Ledger) -> dict[str, dict[str, int]]:
    """Per currency, what payouts allotted to each unclaimed contributor, held for them."""
    return {currency: held for currency in sorted(ledger.paid) if (held := ledger.held(currency))}


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
    mine = [c for c in reversed(ledger.claims.values()) if member in c.shares]
    claims = page_of(request, mine, anchor="member-claims")
    values = ledger.member_values()
    total = sum(values.values(), Fraction(0))
    sources = {path.source for flow in explanation.flows for path in flow.paths if path.source}
    roles: list[str] = next((m["roles"] for m in node.members(space_id) if m["did"] == member), [])
    reader = account.did if account else None
    rows = node.service(Social).feed.by_member(member, reader, RECENT, space_id)
    return render(
        request, "member.html", account, space=space, member=member, claims=claims,
        value=values.get(member, Fraction(0)), total=total, explanation=explanation,
        names=names_of(node, {member} | sources, reader), ledger=ledger, roles=roles,
        activity=tell(request, node, happenings(rows), reader),
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
    """Each member's value and share under the equation typed, beside the one in force; an
    equation that cannot be read is said next to it, as typed."""
    space = node.space(space_id)
    kinds = (space.charter.get("value") or {}).get("kinds", [])
    try:
        proposed = parse_equation(json_object(equation, "equation"), kinds)
    except FieldProblem as wrong:
        return render(request, "what_if.html", account, 422, space=space, equation=equation,
                      rows=None, errors={"equation": wrong.message})  # fmt: skip
    except P2PError as error:
        said = gettext(EQUATION_PROBLEMS.get(error.code, UNUSABLE), reason=error.message)
        return render(request, "what_if.html", account, 422, space=space, equation=equation,
                      rows=None, errors={"equation": said})  # fmt: skip
    ledger = node.service(Value).ledger(space_id)
    before, after = ledger.member_values(), ledger.member_values(proposed)
    total_before = sum(before.values(), Fraction(0)) or Fraction(1)
    total_after = sum(after.values(), Fraction(0)) or Fraction(1)
    rows = [
        (did, before.get(did, Fraction(0)), after.get(did, Fraction(0)),
         before.get(did, Fraction(0)) / total_before, after.get(did, Fraction(0)) / total_after)
        for did in sorted(set(before) | set(after))
    ]  # fmt: skip
    names = names_of(node, [row[0] for row in rows], account.did if account else None)
    return render(request, "what_if.html", account, space=space, equation=equation, rows=rows,
                  names=names)  # fmt: skip


@router.post("/spaces/{space_id}/value/claim")
def log_claim(
    request: Request, space_id: str, node: NodeDep, account: AccountDep,
    kind: Annotated[str, Form(max_length=40)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
    quantity: Annotated[str, Form(max_length=20)] = "",
    unit: Annotated[str, Form(max_length=20)] = "hours",
    evidence: Annotated[str, Form(max_length=120_000)] = "",
    project: Annotated[str, Form(max_length=200)] = "",
    my_share: Annotated[str, Form(max_length=20)] = "100",
    co_member: Annotated[list[str] | None, Form(max_length=50)] = None,
    co_share: Annotated[list[str] | None, Form(max_length=50)] = None,
) -> Response:  # fmt: skip
    """Log a claim; with co-authors (by username), everyone's share in percent (two
    decimals at most), which must add up to 100. What does not fit is said next to its
    field, with what was typed kept."""
    form = ClaimForm(kind, description, quantity, unit, project, evidence, my_share,
                     co_member or [], co_share or [])  # fmt: skip
    space = node.space(space_id)
    kinds = (space.charter.get("value") or {}).get("kinds", [])
    content, errors = form.content(account.did, _other_members(node, space_id), kinds)
    if content is not None:
        problem = _acted(node, account, space_id, "contribution.claim", content)
        if problem is None:
            return back_with(f"/spaces/{space_id}/value")
        errors = {CLAIM_FIELDS.get(problem[0], "claim"): refusal(*problem)}
    return value_view(request, node, account, space_id, typed={"claim": form},
                      errors={"claim": errors})  # fmt: skip


def _other_members(node: Node, space_id: str) -> dict[str, str]:
    """The space's members by username (those with an account here) and by did."""
    current = [m["did"] for m in node.members(space_id) if m["status"] == "member"]
    names = node.accounts.names(current)
    return {did: did for did in current} | {name: did for did, name in names.items()}


def _acted(
    node: Node, account: Account, space: str, type: str, content: dict[str, Any]
) -> tuple[str, str] | None:
    """Take the action; the refusal's code and message if the node refused or rejected it."""
    try:
        outcome = node.act(account, space, type, content)
    except RateLimited:
        raise
    except P2PError as error:
        return error.code, error.message
    if outcome.status in ("rejected", "refused"):
        code, _, detail = (outcome.code or outcome.message or "refused").partition(":")
        return code, detail.strip() or outcome.message or code
    return None


@router.post("/spaces/{space_id}/value/endorse")
def endorse_claim(
    request: Request, space_id: str, node: NodeDep, account: AccountDep,
    claim: Annotated[str, Form(max_length=100)],
    note: Annotated[str, Form(max_length=10 * MAX_NOTE)] = "",
) -> Response:  # fmt: skip
    """Vouch for a claim; a refusal is said next to the claim's endorse form, with the note
    as typed."""
    content = {"claim": claim, **({"note": note.strip()} if note.strip() else {})}
    if len(note.strip()) > MAX_NOTE:
        problem: str | None = gettext("Keep it under %(most)s characters (this is %(count)s).",
                                      most=MAX_NOTE, count=len(note.strip()))  # fmt: skip
    else:
        refused = _acted(node, account, space_id, "contribution.endorse", content)
        problem = refusal(*refused) if refused else None
    if problem is None:
        return back_with(f"/spaces/{space_id}/value")
    return value_view(request, node, account, space_id, typed={"endorse": {claim: note}},
                      errors={"endorse": {claim: problem}})  # fmt: skip


@router.post("/spaces/{space_id}/value/income")
def record_income(
    request: Request, space_id: str, node: NodeDep, account: AccountDep,
    amount: Annotated[str, Form(max_length=40)] = "",
    currency: Annotated[str, Form(max_length=8)] = "",
    source: Annotated[str, Form(max_length=200)] = "",
    earmark: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    """Record income given in currency units ('12.34' EUR is 1234 cents), exactly or not
    at all; what does not fit is said next to its field."""
    typed = {"amount": amount, "currency": currency, "source": source, "earmark": earmark}
    errors: Errors = {}
    code = read_currency(currency, errors)
    minor = read_amount(amount, code, errors)
    if not source.strip():
        errors["source"] = gettext("Say where the money came from, like “NLnet grant”.")
    if not errors:
        content: dict[str, Any] = {"amount": minor, "currency": code, "source": source.strip()}
        if earmark.strip():
            content["earmark"] = earmark.strip()
        problem = _acted(node, account, space_id, "income.record", content)
        if problem is None:
            return back_with(f"/spaces/{space_id}/value")
        errors["income"] = refusal(*problem)
    return value_view(request, node, account, space_id, typed={"income": typed},
                      errors={"income": errors})  # fmt: skip


@router.get("/spaces/{space_id}/value/payout")
def payout_preview(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep,
    currency: Annotated[str, Query(max_length=8)] = "EUR",
    amount: Annotated[str, Query(max_length=40)] = "",
    earmark: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:  # fmt: skip
    """What paying out `amount` (currency units) would give each member, and why."""
    return payout_view(request, node, account, space_id, amount, currency, earmark)


def payout_view(
    request: Request, node: Node, account: Account | None, space_id: str, amount: str,
    currency: str, earmark: str, refused: str | None = None,
) -> HTMLResponse:  # fmt: skip
    """The payout page: the plan for the amount typed (none while it is empty), or what
    does not fit next to its field, with what was typed kept."""
    try:
        space = node.space(space_id)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    form = {"currency": currency.strip().upper(), "amount": amount.strip(),
            "earmark": earmark.strip()}  # fmt: skip
    errors: Errors = {"amount": refused} if refused else {}
    context: dict[str, Any] = {"space": space, "form": form, "rows": None, "errors": errors,
                               "policy": _value_policy(node, space_id),
                               "may": permitted(node, space_id, account)}  # fmt: skip
    if not form["amount"] and not refused:
        return render(request, "payout.html", account, **context)
    payout = None if refused else _plan(node, space_id, form, errors)
    if payout is None:
        return render(request, "payout.html", account, 422, error=gettext(FORM_PROBLEM), **context)
    paid = sorted((-part.amount, did) for did, part in payout.explanations.items() if part.amount)
    rows = [(did, -minus, describe(payout.explanations[did], form["currency"]))
            for minus, did in paid]  # fmt: skip
    labels = node.service(Value).ledger(space_id).labels()
    names = {**labels, **names_of(node, payout.amounts, account.did if account else None)}
    context |= {"rows": rows, "payout": payout, "names": names}
    return render(request, "payout.html", account, **context)


def _plan(node: Node, space_id: str, form: Mapping[str, str], errors: Errors) -> Payout | None:
    """The payout the form asks for, or None with what does not fit in `errors`."""
    currency = read_currency(form["currency"], errors)
    budget = read_amount(form["amount"], currency, errors)
    if errors:
        return None
    earmark = form["earmark"] or None
    balance = node.service(Value).ledger(space_id).balance(currency, earmark)
    if budget > balance:
        errors["amount"] = short_of(balance, currency, earmark)
        return None
    try:
        return node.service(Value).payout_plan(space_id, currency, budget, now_ms(), earmark)
    except P2PError as error:
        errors["amount"] = refusal(error.code, error.message)
        return None


def _value_policy(node: Node, space_id: str) -> ValuePolicy | None:
    """The value policy of the charter in force in the space, if it has one."""
    state = space_authority(node, space_id)
    return value_policy(state.charter) if state is not None else None


@router.post("/spaces/{space_id}/value/payout")
def run_payout(
    request: Request, space_id: str, node: NodeDep, account: AccountDep,
    currency: Annotated[str, Form(max_length=8)] = "",
    amount: Annotated[str, Form(max_length=40)] = "",
    earmark: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    """Run the payout that was previewed: planned again now, signed, recorded; a refusal
    is said on the payout page, with the amount kept."""
    errors: Errors = {}
    code = read_currency(currency, errors)
    budget = read_amount(amount, code, errors)
    problem = next(iter(errors.values()), None)
    if problem is None:
        try:
            outcome = node.service(Value).pay_out(
                account, space_id, code, budget, earmark.strip() or None
            )
            if outcome.status in ("rejected", "refused"):
                problem = refusal(*_code_of(outcome.code, outcome.message))
        except RateLimited:
            raise
        except P2PError as error:
            problem = refusal(error.code, error.message)
    if problem is None:
        return back_with(f"/spaces/{space_id}/value")
    return payout_view(request, node, account, space_id, amount, currency, earmark, problem)


def _code_of(code: str | None, message: str | None) -> tuple[str, str]:
    """A refusal's code and message, from an outcome (`code: detail` when rejected)."""
    found, _, detail = (code or message or "refused").partition(":")
    return found, detail.strip() or message or found


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
    request: Request, space_id: str, node: NodeDep, account: AccountDep,
    claim: Annotated[str, Form(max_length=100)], verdict: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:  # fmt: skip
    """Approve, dispute or reject a claim; a dispute or rejection says why (when the reason
    is missing, that is said next to the claim)."""
    problem: str | None = None
    if verdict in ("dispute", "reject") and not reason.strip():
        problem = (
            gettext("Say why you dispute it: the people who made the claim read this.")
            if verdict == "dispute"
            else gettext("Say why you reject it: the people who made the claim read this.")
        )
    else:
        content = {"claim": claim, "verdict": verdict, "reason": reason.strip()}
        refused = _acted(node, account, space_id, "contribution.review", content)
        problem = refusal(*refused) if refused else None
    if problem is None:
        return back_with(f"/spaces/{space_id}/value")
    return value_view(request, node, account, space_id, typed={"review": {claim: reason}},
                      errors={"review": {claim: problem}})  # fmt: skip
