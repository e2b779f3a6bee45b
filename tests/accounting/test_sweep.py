"""The lazy-acceptance sweep closes due claims many to a transaction, and stops between
two batches when the node shuts down."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from test_lazy_acceptance import CLAIM, lazy_space

from p2pvalue.accounting import sweep
from p2pvalue.accounting.service import Value
from p2pvalue.events.event import Event
from p2pvalue.node import Node


def test_due_claims_are_closed_in_batches_each_one_transaction(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep, "BATCH", 2)
    space, alice, bob = lazy_space(node, 0)
    claims = [
        str(node.act(bob, space, "contribution.claim", {**CLAIM, "description": f"c{i}"}).id)
        for i in range(5)
    ]
    batches: list[list[str]] = []

    def heard(events: Sequence[Event], origin: str | None) -> None:
        closes = [e.content["claim"] for e in events if e.type == sweep.CLOSE]
        if closes:
            batches.append(closes)

    node.writer.subscribe(heard)
    assert node.service(Value).close_due_claims() == 5
    assert batches == [claims[0:2], claims[2:4], claims[4:]]
    ledger = node.service(Value).ledger(space)
    assert {ledger.claims[c].status for c in claims} == {"accepted"}
    closers = {node.event(str(ledger.claims[c].decided_by)).author for c in claims}
    assert closers == {alice.did}


def test_a_sweep_asked_to_stop_ends_after_the_batch_it_is_writing(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep, "BATCH", 2)
    space, _, bob = lazy_space(node, 0)
    claims = [
        str(node.act(bob, space, "contribution.claim", {**CLAIM, "description": f"c{i}"}).id)
        for i in range(5)
    ]
    stop = threading.Event()

    def shutting_down(events: Sequence[Event], origin: str | None) -> None:
        if any(e.type == sweep.CLOSE for e in events):
            stop.set()  # as SIGTERM would, while the first batch is being written

    node.writer.subscribe(shutting_down)
    assert node.service(Value).close_due_claims(stop) == 2
    statuses = [node.service(Value).ledger(space).claims[c].status for c in claims]
    assert statuses == ["accepted"] * 2 + ["pending"] * 3
    node.writer.unsubscribe(shutting_down)
    assert node.service(Value).close_due_claims(threading.Event()) == 3
