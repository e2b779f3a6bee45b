"""The ledger a node keeps folded as its log grows equals a full refold of the log, whatever
order the events arrive in: events on concurrent branches (two nodes writing at once) that
sort before what was already folded, revocations concurrent with claims, closes, payouts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import LIGHT_HASHING
from histories import BRANCHES, Action, History, arrival_order
from p2pvalue.accounting.ledger import LEDGER_TYPES, fold
from p2pvalue.accounting.model import Ledger
from p2pvalue.accounting.payout_plan import run_content
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.state import Ledgers
from p2pvalue.accounting.types import email_alias
from p2pvalue.config import init_data_dir
from p2pvalue.errors import P2PError
from p2pvalue.events.event import Event
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

KINDS = ("claim", "claim", "approve", "reject", "dispute", "endorse", "tick", "close",
         "income", "payout", "remove", "post", "import", "alias", "confirm",
         "import_review")  # fmt: skip
OP = st.tuples(
    st.sampled_from(KINDS), st.integers(0, BRANCHES - 1), st.integers(0, 3),
    st.integers(0, 1000), st.integers(0, 4),
)  # (kind, branch, author, target, merge: 0 merges the branches)  # fmt: skip
OPS = st.lists(OP, min_size=10, max_size=50)


def dump(ledger: Ledger) -> str:
    """Every field of the ledger, dict order included (sets sorted)."""
    fields = asdict(ledger)
    fields["alias_claims"] = {k: sorted(v) for k, v in ledger.alias_claims.items()}
    fields["unclaimed"] = {k: sorted(v) for k, v in ledger.unclaimed.items()}
    return repr(fields)


def rebuilt(node: Node, space: str) -> str:
    _, events = node.writer.events_of(space, LEDGER_TYPES)
    return dump(fold(events or []))


class ValueHistory(History):
    """Value events on concurrent branches: claims, reviews, closes, income, payouts."""

    def __init__(self, generator: Node) -> None:
        charter = default_charter("open")
        charter["value"]["acceptance"] = {"approvals": 1, "lazy_hours": 0}
        charter["value"]["imports"] = {"accept": True}
        super().__init__(generator, charter)
        self.claims: list[str] = []

    def made(self, kind: str, event: Event) -> None:
        if event.type in ("contribution.claim", "contribution.import"):
            self.claims.append(event.id)

    def action(self, kind: str, author: int, target: int) -> Action | None:
        key, founder = self.members[author], self.founder
        claim = self.claims[target % len(self.claims)] if self.claims else None
        if kind == "claim":
            content = {"kind": "docs", "description": f"d{target}", "quantity": 1 + target % 3,
                       "unit": "hours", "evidence": [f"e{target % 7}"]}  # fmt: skip
            return key, "contribution.claim", content
        if kind in ("approve", "reject", "dispute") and claim:
            return key, "contribution.review", {"claim": claim, "verdict": kind, "reason": "r"}
        if kind == "endorse" and claim:
            return key, "contribution.endorse", {"claim": claim}
        if kind == "tick" and self.claims:
            return founder, "clock.tick", {"events": sorted(set(self.claims[-1 - target % 3 :]))}
        if kind == "close" and claim:
            return founder, "contribution.close", {"claim": claim}
        if kind == "income":
            return founder, "income.record", {"amount": 100 + target, "currency": "EUR",
                                              "source": "grant"}  # fmt: skip
        if kind == "payout":
            return self._payout(target)
        if kind == "import":  # work of people known by e-mail, one of them maybe a member's
            people = [email_alias(f"p{target % 3}@x.org"), email_alias(f"p{author}@x.org")]
            shares = [{"member": p, "share": 5000} for p in people] if len(set(people)) == 2 \
                else [{"member": people[0], "share": 10_000}]  # fmt: skip
            content = {"kind": "commit", "description": "c", "quantity": 1, "unit": "units",
                       "date": 1, "evidence": [f"git:{target % 9}"], "source": "git",
                       "contributors": shares}  # fmt: skip
            return founder, "contribution.import", content
        if kind == "import_review" and claim:  # a review at the source, by someone maybe claimed
            content = {"claim": claim, "reviewer": email_alias(f"p{author}@x.org"),
                       "verdict": ("approve", "request_changes", "comment")[target % 3],
                       "date": 1, "evidence": f"review:{target % 11}",
                       "source": "github"}  # fmt: skip
            return founder, "contribution.import_review", content
        if kind == "alias":
            return key, "alias.claim", {"alias": email_alias(f"p{target % 3}@x.org")}
        if kind == "confirm":
            alias = email_alias(f"p{target % 3}@x.org")
            return founder, "alias.confirm", {"alias": alias, "member": key.did}
        if kind == "remove" and (removal := self.remove(author)) is not None:
            return removal
        return key, "post.create", {"text": f"note {target}"}

    def _payout(self, budget: int) -> Action | None:
        try:
            plan = self.generator.service(Value).payout_plan(
                self.space, "EUR", 1 + budget, self.ts + 1
            )
        except P2PError:
            return None
        return self.founder, "payout.run", run_content(plan, "EUR", None)


@pytest.fixture
def generator(tmp_path: Path) -> Iterator[Node]:
    with Node(init_data_dir(tmp_path / "generator"), password_hasher=LIGHT_HASHING) as running:
        yield running


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(ops=OPS, arrival=st.randoms(use_true_random=False), journal=st.sampled_from([2, 4096]))
def test_the_ledger_folded_on_equals_a_refold_in_any_arrival_order(
    node: Node, generator: Node, ops: list[tuple[str, int, int, int, int]],
    arrival: random.Random, journal: int,
) -> None:  # fmt: skip
    history = ValueHistory(generator)
    for op in ops:
        history.step(*op)
    node.service(Value).ledgers = Ledgers(
        node.writer, journal=journal
    )  # 2: rewinds beyond it refold
    wires = [event.wire for event in arrival_order(history.events, arrival)]
    while wires:
        size = arrival.randint(1, 6)
        batch, wires = wires[:size], wires[size:]
        node.ingest(batch, hold_missing=True)
        if node.writer.log(history.space) is not None:
            assert dump(node.service(Value).ledger(history.space)) == rebuilt(node, history.space)
    assert node.space(history.space).events == len(history.events)
    assert dump(node.service(Value).ledger(history.space)) == dump(
        generator.service(Value).ledger(history.space)
    )


def test_a_ledger_handed_out_does_not_change_when_the_log_grows(node: Node) -> None:
    history = ValueHistory(node)
    history.step("claim", 0, 1, 0, 1)
    before = node.service(Value).ledger(history.space)
    seen = dump(before)
    history.step("approve", 0, 2, 0, 1)
    history.step("claim", 1, 3, 1, 1)
    after = node.service(Value).ledger(history.space)
    assert dump(before) == seen
    first, second = history.claims
    assert after is not before and len(after.claims) == 2
    assert (after.claims[first].status, after.claims[second].status) == ("accepted", "pending")
