"""Participatory budgeting: which projects to fund out of `rules.budget`.

Every option is a project with a `cost` > 0. `dot` funds by dots greedily; `equal_shares` is
the Method of Equal Shares (Peters & Skowron), which splits the budget equally among the
voters and funds only what each project's own supporters can pay for from their shares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import groupby
from typing import Any, Literal

from p2pvalue.governance.methods.base import (
    Cast,
    CheckFn,
    Option,
    Rules,
    Tally,
    TallyFn,
    tie_order,
)
from p2pvalue.governance.methods.cardinal import approved_ids, check_approval, int_map

Utility = Literal["cost", "approval"]


def _text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def costs(rules: Rules, options: Sequence[Option]) -> tuple[int, dict[str, int]]:
    """The budget and each project's cost; ValueError if the rules or options lack them."""
    if rules.budget is None or rules.budget < 0:
        raise ValueError(f"{rules.method} needs a budget")
    priced = {option.id: option.cost or 0 for option in options}
    if any(cost <= 0 for cost in priced.values()):
        raise ValueError(f"{rules.method} needs every option to cost more than 0")
    return rules.budget, priced


def check_dot(rules: Rules, options: Sequence[Option], ballot: Mapping[str, Any]) -> str | None:
    """None if `ballot` puts at least one dot on each project it names, all known, and at
    most `rules.dots` in all (no limit if unset)."""
    dots = int_map(ballot, "dots")
    if dots is None or not all(n >= 1 for n in dots.values()):
        return "bad_ballot"
    if not set(dots) <= {option.id for option in options}:
        return "unknown_option"
    if rules.dots is not None and sum(dots.values()) > rules.dots:
        return "too_many_dots"
    return None


def fund_greedily(
    rules: Rules, budget: int, price: Mapping[str, int], dots: Mapping[str, int]
) -> tuple[list[str], list[str]]:
    """Projects with dots, most dots first, each funded if it still fits in what is left —
    greedy, skipping what doesn't fit and going on down the list. Returns the funded projects
    in funding order and those in a group of equal dots whose order changed what was funded
    (some project in it went unfunded although it would have fitted had it come first)."""
    rank = {project: i for i, project in enumerate(tie_order(rules, list(dots)))}
    ranked = sorted((p for p in dots if dots[p] > 0), key=lambda p: (-dots[p], rank[p]))
    funded: list[str] = []
    tied: list[str] = []
    left = budget
    for _, group in groupby(ranked, key=dots.__getitem__):
        members, start = list(group), left
        for project in members:
            if price[project] <= left:
                funded.append(project)
                left -= price[project]
        if any(p not in funded and price[p] <= start for p in members):
            tied.extend(members)
    return funded, tied


def tally_dot(
    rules: Rules, options: Sequence[Option], casts: Sequence[Cast], eligible: int
) -> Tally:
    """Funds projects by total weighted dots, greedily (see `fund_greedily`)."""
    budget, price = costs(rules, options)
    dots = dict.fromkeys(price, 0)
    for cast in casts:
        for project, n in (int_map(cast.ballot, "dots") or {}).items():
            if project in dots:
                dots[project] += cast.weight * n
    funded, tied = fund_greedily(rules, budget, price, dots)
    spent = sum(price[p] for p in funded)
    reason = (
        f"funded {', '.join(funded)} by dots, skipping what no longer fit; {budget - spent} left"
        if funded
        else "nothing funded: no project with dots fits the budget"
    )
    if tied:
        reason += f"; equal dots among {', '.join(tied)} broken by the {rules.tie_break} tie order"
    figures = {
        "dots": dots,
        "funded": funded,
        "budget": budget,
        "spent": spent,
        "left": budget - spent,
    }
    return Tally(
        rules.method, bool(funded), tuple(funded), bool(tied), tuple(tied), reason, figures
    )


@dataclass(frozen=True)
class Voter:
    """One ballot for Equal Shares: its weight (that many identical voters) and approvals."""

    weight: int
    approves: frozenset[str]


@dataclass(frozen=True)
class EqualShares:
    """The Method of Equal Shares' result: projects in funding order, each one's rho and
    largest payment per unit of weight, what each voter paid towards it, and what each
    voter has left of their share."""

    funded: tuple[str, ...]
    rho: Mapping[str, Fraction]
    max_payment: Mapping[str, Fraction]
    payments: Mapping[str, Mapping[int, Fraction]]
    left: Mapping[int, Fraction]
    tied: tuple[str, ...]


def _payment_cap(
    cost: int, backers: Sequence[int], voters: Sequence[Voter], purse: Mapping[int, Fraction]
) -> Fraction | None:
    """The least cap p such that each backer paying min(own money left, p) per unit of weight
    raises exactly `cost`, or None if the backers cannot raise it."""
    if sum(voters[v].weight * purse[v] for v in backers) < cost:
        return None
    owed, sharing = Fraction(cost), sum(voters[v].weight for v in backers)
    for v in sorted(backers, key=purse.__getitem__):
        cap = owed / sharing
        if cap <= purse[v]:
            return cap
        owed -= voters[v].weight * purse[v]
        sharing -= voters[v].weight
    return None


def _rhos(
    price: Mapping[str, int],
    utility: Utility,
    backers: Mapping[str, list[int]],
    voters: Sequence[Voter],
    purse: Mapping[int, Fraction],
) -> dict[str, Fraction]:
    """rho, the most any backer pays per unit of utility, of every project still affordable."""
    rhos: dict[str, Fraction] = {}
    for project, cost in price.items():
        cap = _payment_cap(cost, backers[project], voters, purse)
        if cap is not None:
            rhos[project] = cap / (cost if utility == "cost" else 1)
    return rhos


def _charge(
    cap: Fraction, backers: Sequence[int], voters: Sequence[Voter], purse: dict[int, Fraction]
) -> dict[int, Fraction]:
    """Takes min(money left, `cap`) per unit of weight from each backer; returns what each paid."""
    payments = {}
    for v in backers:
        paid = min(purse[v], cap)
        purse[v] -= paid
        if paid:
            payments[v] = voters[v].weight * paid
    return payments


def equal_shares(
    rules: Rules,
    budget: int,
    price: Mapping[str, int],
    voters: Sequence[Voter],
    utility: Utility = "cost",
) -> EqualShares:
    """The Method of Equal Shares with exact arithmetic and no completion step.

    Each unit of weight gets an equal share of `budget`. Repeatedly, among projects whose
    backers can still pay for them, fund the one with the smallest rho — the most a backer pays
    per unit of utility when the cost is split as equally as their money left allows — and
    charge its backers. Utility is a project's cost to each backer (`"cost"`, as on
    equalshares.net) or 1 (`"approval"`). Equal rho: more approval weight first, then
    `tie_order`; such a tie is reported when the choice changed another tied project's rho.
    """
    weight = sum(voter.weight for voter in voters)
    purse = {v: Fraction(budget, weight or 1) for v in range(len(voters))}
    backers = {p: [v for v, voter in enumerate(voters) if p in voter.approves] for p in price}
    support = {p: sum(voters[v].weight for v in backers[p]) for p in price}
    rank = {p: i for i, p in enumerate(tie_order(rules, list(price)))}
    open_ = dict(price)
    funded: list[str] = []
    tied: list[str] = []
    rho: dict[str, Fraction] = {}
    caps: dict[str, Fraction] = {}
    payments: dict[str, dict[int, Fraction]] = {}
    while rhos := _rhos(open_, utility, backers, voters, purse):
        best = min(rhos.values())
        level = [p for p in rhos if rhos[p] == best]
        chosen = min(level, key=lambda p: (-support[p], rank[p]))
        rho[chosen], caps[chosen] = best, best * (price[chosen] if utility == "cost" else 1)
        payments[chosen] = _charge(caps[chosen], backers[chosen], voters, purse)
        funded.append(chosen)
        open_ = {p: open_[p] for p in rhos if p != chosen}
        after = _rhos({p: price[p] for p in level if p != chosen}, utility, backers, voters, purse)
        if any(after.get(p) != best for p in level if p != chosen):
            tied.extend(sorted((p for p in level if p not in tied), key=rank.__getitem__))
    left = {v: voter.weight * purse[v] for v, voter in enumerate(voters)}
    return EqualShares(tuple(funded), rho, caps, payments, left, tuple(tied))


def check_equal_shares(
    rules: Rules, options: Sequence[Option], ballot: Mapping[str, Any]
) -> str | None:
    """An Equal Shares ballot is an approval ballot: the same shape and refusals."""
    return check_approval(rules, options, ballot)


def tally_equal_shares(
    rules: Rules, options: Sequence[Option], casts: Sequence[Cast], eligible: int
) -> Tally:
    """Funds projects by the Method of Equal Shares with cost utilities over the voters who
    cast a ballot; what their shares could not buy stays in `figures["left"]`."""
    budget, price = costs(rules, options)
    voters = [Voter(cast.weight, frozenset(approved_ids(cast.ballot) or ())) for cast in casts]
    if not sum(voter.weight for voter in voters):
        return Tally(
            rules.method,
            False,
            reason="nothing funded: nobody voted",
            figures={"budget": budget, "spent": 0, "left": budget},
        )
    result = equal_shares(rules, budget, price, voters)
    return Tally(
        rules.method,
        bool(result.funded),
        result.funded,
        bool(result.tied),
        result.tied,
        _equal_shares_reason(rules, budget, price, result),
        _equal_shares_figures(budget, price, casts, voters, result),
    )


def _equal_shares_reason(
    rules: Rules, budget: int, price: Mapping[str, int], result: EqualShares
) -> str:
    left = budget - sum(price[p] for p in result.funded)
    reason = (
        f"funded {', '.join(result.funded)}, each paid for by its own supporters' equal shares;"
        f" {left} left that no remaining project's supporters could pay for"
        if result.funded
        else "nothing funded: no project's supporters could pay for it from their shares"
    )
    if result.tied:
        reason += (
            f"; equal rho among {', '.join(result.tied)} broken by more approvals,"
            f" then the {rules.tie_break} tie order"
        )
    return reason


def _equal_shares_figures(
    budget: int,
    price: Mapping[str, int],
    casts: Sequence[Cast],
    voters: Sequence[Voter],
    result: EqualShares,
) -> dict[str, Any]:
    spent = sum(price[p] for p in result.funded)
    paid: dict[str, Fraction] = {}
    for by_voter in result.payments.values():
        for v, amount in by_voter.items():
            paid[casts[v].voter] = paid.get(casts[v].voter, Fraction(0)) + amount
    weight = sum(voter.weight for voter in voters)
    return {
        "approvals": {p: sum(x.weight for x in voters if p in x.approves) for p in price},
        "funded": list(result.funded),
        "rho": {p: _text(r) for p, r in result.rho.items()},
        "max_payment": {p: _text(cap) for p, cap in result.max_payment.items()},
        "paid": {voter: _text(amount) for voter, amount in sorted(paid.items())},
        "share": _text(Fraction(budget, weight)),
        "budget": budget,
        "spent": spent,
        "left": budget - spent,
    }


TALLIES: dict[str, TallyFn] = {"dot": tally_dot, "equal_shares": tally_equal_shares}
CHECKS: dict[str, CheckFn] = {"dot": check_dot, "equal_shares": check_equal_shares}
