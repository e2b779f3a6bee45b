"""Earmarked income scopes payouts: one pot per (currency, earmark), folded without a node."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p2pvalue.accounting.ledger import check, fold
from p2pvalue.accounting.model import Ledger, ValueEvent
from p2pvalue.accounting.payout_plan import plan, run_content
from p2pvalue.accounting.types import value_policy
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority, Membership
from p2pvalue.events.charter import charter_from_content
from p2pvalue.governance.templates import default_charter

MEMBERS = [f"did:key:z6Mk{name}" for name in ("Alice", "Bob", "Carol", "Dan")]
A, B, C, D = MEMBERS
POLICIES = ("IMMEDIATE", "RECENT", "BALANCED", "BUCKETS")
PROJECTS = (None, "seeds", "tools")
EARMARKS = (*PROJECTS, "empty")  # "empty": income earmarked for a project with no claims
T0 = 1_764_115_200_000
HOUR = 3_600_000


def authority(policy: str = "BALANCED") -> Authority:
    charter = default_charter()
    charter["value"]["payout_policy"] = policy
    members = {did: Membership("member", frozenset({"admin", "member"})) for did in MEMBERS}
    return Authority("space", "Commons", A, charter_from_content(charter), members)


class Log:
    """Value events of one space, made in order, folded on demand."""

    def __init__(self, policy: str = "BALANCED") -> None:
        self.authority = authority(policy)
        self.events: list[ValueEvent] = []
        self.ids = itertools.count()
        self.ts = T0

    def add(self, type: str, author: str, content: dict[str, Any]) -> str:
        self.ts += HOUR
        event_id = f"e{next(self.ids)}"
        self.events.append(ValueEvent(event_id, type, author, self.ts, content, self.authority))
        return event_id

    def accepted(self, author: str, hours: int, project: str | None, reviewer: str) -> str:
        claim = {"kind": "code", "description": "work", "quantity": hours, "unit": "hours"}
        claimed = self.add("contribution.claim", author, {**claim, "project": project})
        self.add("contribution.review", reviewer, {"claim": claimed, "verdict": "approve"})
        return claimed

    def income(self, amount: int, earmark: str | None) -> None:
        content = {"amount": amount, "currency": "EUR", "source": "gift", "earmark": earmark}
        self.add("income.record", A, content)

    def ledger(self) -> Ledger:
        return fold(self.events)

    def pay(self, budget: int, earmark: str | None, policy: str = "BALANCED") -> dict[str, int]:
        """Plan a run at the next event's time and record it; its allocations."""
        payout = plan(self.ledger(), policy, "EUR", budget, self.ts + HOUR, earmark=earmark)
        content = run_content(payout, "EUR", earmark)
        self.add("payout.run", A, content)
        allocations: dict[str, int] = content["allocations"]
        return allocations


def refusal(log: Log, budget: int, earmark: str | None) -> str | None:
    policy = value_policy(log.authority.charter).payout_policy  # type: ignore[union-attr]
    content = {"currency": "EUR", "budget": budget, "policy": policy,
               "allocations": {B: budget}, "earmark": earmark}  # fmt: skip
    proposed = ValueEvent("-", "payout.run", A, log.ts + HOUR, content, log.authority)
    return check(log.ledger(), proposed)


def test_an_earmarked_run_pays_only_the_project_and_only_its_pot() -> None:
    log = Log()
    log.accepted(B, 3, "seeds", reviewer=A)
    log.accepted(C, 1, "seeds", reviewer=A)
    log.accepted(D, 8, "tools", reviewer=A)
    log.income(10_000, "seeds")
    log.income(500, None)
    # B 120 points and C 40 in seeds; A reviewed both (5 each): 120 + 40 + 10 = 170.
    assert log.pay(1_700, "seeds") == {A: 100, B: 1_200, C: 400}
    ledger = log.ledger()
    assert (ledger.balance("EUR", "seeds"), ledger.balance("EUR")) == (8_300, 500)
    assert ledger.void == {}
    assert ledger.payouts[-1].earmark == "seeds"
    assert ledger.paid_from[("EUR", "seeds")] == {A: 100, B: 1_200, C: 400}
    assert ledger.paid_from.get(("EUR", None)) is None


def test_a_run_without_earmark_pays_out_of_the_general_pot_only() -> None:
    log = Log()
    log.accepted(B, 1, "seeds", reviewer=A)
    log.income(10_000, "seeds")
    log.income(300, None)
    assert refusal(log, 301, None) == "insufficient_balance"
    assert refusal(log, 10_001, "seeds") == "insufficient_balance"
    assert refusal(log, 10, "tools") == "insufficient_balance"
    # B 40 points, A 5 for the review: the general pot is split over all claims too.
    assert log.pay(300, None) == {A: 33, B: 267}
    assert (log.ledger().balance("EUR"), log.ledger().balance("EUR", "seeds")) == (0, 10_000)


def test_an_earmark_without_claims_has_nothing_to_split() -> None:
    log = Log()
    log.accepted(B, 1, "seeds", reviewer=A)
    log.income(1_000, "empty")
    assert refusal(log, 1_000, "empty") == "nothing_to_split"
    assert log.ledger().balance("EUR", "empty") == 1_000


def test_each_pot_is_balanced_on_its_own() -> None:
    """BALANCED counts as paid so far only what the same pot paid: money given to seeds
    reaches its contributors on top of their share of the general pot."""
    log = Log()
    log.accepted(B, 1, "seeds", reviewer=A)  # B 40, A 5
    log.accepted(C, 1, None, reviewer=A)  # C 40, A 5
    log.income(900, "seeds")
    log.income(900, None)
    assert log.pay(900, "seeds") == {A: 100, B: 800}
    # The general pot ignores what seeds paid: 900 split 10 : 40 : 40.
    assert log.pay(900, None) == {A: 100, B: 400, C: 400}


def test_buckets_never_reimburse_an_expense_twice() -> None:
    log = Log("BUCKETS")
    spent = {"kind": "money", "description": "seed packets", "quantity": 600, "unit": "money",
             "currency": "EUR", "project": "seeds"}  # fmt: skip
    claimed = log.add("contribution.claim", B, spent)
    log.add("contribution.review", A, {"claim": claimed, "verdict": "approve"})
    log.income(600, None)
    log.income(600, "seeds")
    assert log.pay(600, None, "BUCKETS") == {B: 600}  # the general pot paid the expense back
    payout = plan(log.ledger(), "BUCKETS", "EUR", 600, log.ts + HOUR, earmark="seeds")
    portions = [(p.bucket, p.pot) for p in payout.explanations[B].portions]
    assert portions == [("value", 600)]  # so the seeds pot splits all of its 600 by value


def test_an_empty_earmark_on_income_is_no_earmark() -> None:
    log = Log()
    log.income(700, "")
    assert log.ledger().pots == {("EUR", None): 700}


@st.composite
def histories(draw: st.DrawFn) -> tuple[Log, list[tuple[str | None, int]]]:
    """A space with random accepted claims in projects, earmarked income, and runs to make
    (earmark, share of the pot in thousandths)."""
    log = Log(draw(st.sampled_from(POLICIES), label="policy"))
    claims = draw(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(PROJECTS),
                                     st.integers(1, 40)), min_size=1, max_size=8))  # fmt: skip
    for author, project, hours in claims:
        log.accepted(MEMBERS[author], hours, project, reviewer=MEMBERS[(author + 1) % 4])
    for amount, earmark in draw(
        st.lists(st.tuples(st.integers(1, 10**7), st.sampled_from(EARMARKS)), max_size=6)
    ):
        log.income(amount, earmark)
    runs = draw(st.lists(st.tuples(st.sampled_from(EARMARKS), st.integers(1, 1000)),
                         min_size=1, max_size=4))  # fmt: skip
    return log, runs


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_earmarked_runs_pay_exactly_their_budget_out_of_their_pot(
    history: tuple[Log, list[tuple[str | None, int]]],
) -> None:
    log, runs = history
    policy = value_policy(log.authority.charter).payout_policy  # type: ignore[union-attr]
    for earmark, thousandths in runs:
        before = log.ledger()
        budget = max(1, before.balance("EUR", earmark) * thousandths // 1000)
        scoped = before.member_values(project=earmark)
        if budget > before.balance("EUR", earmark):
            assert refusal(log, budget, earmark) == "insufficient_balance"
            continue
        if not any(scoped.values()):
            with pytest.raises(P2PError) as refused:
                log.pay(budget, earmark, policy)
            assert refused.value.code == "nothing_to_split"
            continue
        allocations = log.pay(budget, earmark, policy)
        after = log.ledger()
        assert after.void == {}
        assert sum(allocations.values()) == budget
        assert all(amount > 0 and scoped.get(m, 0) > 0 for m, amount in allocations.items())
        for pot, balance in before.pots.items():
            spent = budget if pot == ("EUR", earmark) else 0
            assert after.pots[pot] == balance - spent >= 0
        assert sum(after.paid["EUR"].values()) == sum(r.budget for r in after.payouts)
