"""The ledger a node keeps folded as its log grows equals a full refold of the log, whatever
order the events arrive in: events on concurrent branches (two nodes writing at once) that
sort before what was already folded, revocations concurrent with claims, closes, payouts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import LIGHT_HASHING
from p2pvalue.accounting.ledger import LEDGER_TYPES, fold
from p2pvalue.accounting.model import Ledger
from p2pvalue.accounting.payout_plan import run_content
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.state import Ledgers
from p2pvalue.config import init_data_dir
from p2pvalue.errors import P2PError
from p2pvalue.events.event import Event, build_event, now_ms
from p2pvalue.events.keys import KeyPair
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

BRANCHES = 3
KINDS = ("claim", "claim", "approve", "reject", "dispute", "endorse", "tick", "close",
         "income", "payout", "remove", "post")  # fmt: skip
OP = st.tuples(
    st.sampled_from(KINDS), st.integers(0, BRANCHES - 1), st.integers(0, 3),
    st.integers(0, 1000), st.integers(0, 4),
)  # (kind, branch, author, target, merge: 0 merges the branches)  # fmt: skip
OPS = st.lists(OP, min_size=10, max_size=50)


def dump(ledger: Ledger) -> str:
    """Every field of the ledger, dict order included (sets sorted)."""
    fields = asdict(ledger)
    fields["alias_claims"] = {k: sorted(v) for k, v in ledger.alias_claims.items()}
    return repr(fields)


def rebuilt(node: Node, space: str) -> str:
    _, events = node.writer.events_of(space, LEDGER_TYPES)
    return dump(fold(events or []))


class History:
    """A space's events built on concurrent branches, each also taken by `generator` as it
    is made (so a payout can plan by what its author's node held)."""

    def __init__(self, generator: Node) -> None:
        self.generator = generator
        self.founder = KeyPair.generate()
        self.members = [self.founder, *(KeyPair.generate() for _ in range(3))]
        self.ts = now_ms() - 60_000
        charter = default_charter("open")
        charter["value"]["acceptance"] = {"approvals": 1, "lazy_hours": 0}
        create = build_event(self.founder, "space.create", {"name": "Prop", "charter": charter},
                             space=None, ts=self.ts)  # fmt: skip
        self.space = create.id
        self.events: list[Event] = []
        self.depth: dict[str, int] = {}
        self.claims: list[str] = []
        self.removed: set[int] = set()
        self._take(create)
        head = create.id
        for key in self.members[1:]:
            head = self.add(key, "member.join", {}, [head]).id
        self.heads = [head] * BRANCHES

    def add(self, key: KeyPair, type: str, content: dict[str, Any], prev: list[str]) -> Event:
        self.ts += 1
        depth = 1 + max(self.depth[p] for p in prev)
        event = build_event(key, type, content, space=self.space, prev=prev, depth=depth,
                            ts=self.ts)  # fmt: skip
        self._take(event)
        return event

    def _take(self, event: Event) -> None:
        [outcome] = self.generator.ingest([event.wire])
        assert outcome.status in ("accepted", "rejected"), outcome
        self.events.append(event)
        self.depth[event.id] = event.depth

    def step(self, kind: str, branch: int, author: int, target: int, merge: int) -> None:
        prev = sorted(set(self.heads)) if merge == 0 else [self.heads[branch]]
        action = self._action(kind, author, target)
        if action is None:
            return
        key, type, content = action
        event = self.add(key, type, content, prev)
        if type == "contribution.claim":
            self.claims.append(event.id)
        if merge == 0:
            self.heads = [event.id] * BRANCHES
        else:
            self.heads[branch] = event.id

    def _action(self, kind: str, author: int, target: int) -> tuple[KeyPair, str, Any] | None:
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
        if kind == "remove" and author != 0 and author not in self.removed:
            self.removed.add(author)
            return founder, "member.remove", {"member": key.did}
        return key, "post.create", {"text": f"note {target}"}

    def _payout(self, budget: int) -> tuple[KeyPair, str, Any] | None:
        try:
            plan = self.generator.service(Value).payout_plan(
                self.space, "EUR", 1 + budget, self.ts + 1
            )
        except P2PError:
            return None
        return self.founder, "payout.run", run_content(plan, "EUR", None)


def arrival_order(events: list[Event], arrival: random.Random) -> list[Event]:
    """The events in a random order: mostly as a node would send them (each after its
    parents, the branches interleaved at random), else shuffled outright (children held
    until their parents come)."""
    if arrival.random() < 0.25:
        return arrival.sample(events, len(events))
    delivered: set[str] = set()
    waiting = list(events)
    order = []
    while waiting:
        ready = [e for e in waiting if all(p in delivered for p in e.prev)]
        chosen = arrival.choice(ready)
        waiting.remove(chosen)
        delivered.add(chosen.id)
        order.append(chosen)
    return order


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
    history = History(generator)
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
    history = History(node)
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
