"""What-ifs worked out away from the request: asked for once per state, worked out once on a
thread of their own, and what came of it (a result or a refusal) kept for that state."""

from __future__ import annotations

import threading

from p2pvalue.errors import P2PError
from p2pvalue.simulation.background import Background


def test_a_result_is_worked_out_once_and_kept_for_its_state() -> None:
    background: Background[int] = Background()
    calls: list[int] = []
    gate = threading.Event()

    def work() -> int:
        gate.wait(5)
        calls.append(1)
        return 42

    ledger = object()
    assert background.ask("a", (ledger,), work) is None  # queued
    assert background.ask("a", (ledger,), work) is None  # already queued: not again
    gate.set()
    assert background.settled(5)
    done = background.ask("a", (ledger,), work)
    assert done is not None and done.result == 42 and done.refusal is None
    assert calls == [1]


def test_a_changed_state_is_worked_out_again() -> None:
    background: Background[str] = Background()
    before, after = object(), object()
    background.ask("a", (before,), lambda: "before")
    assert background.settled(5)
    assert background.ask("a", (after,), lambda: "after") is None  # the ledger moved on
    assert background.settled(5)
    done = background.ask("a", (after,), lambda: "again")
    assert done is not None and done.result == "after"


def test_a_refusal_is_kept_instead_of_a_result() -> None:
    background: Background[int] = Background()

    def refused() -> int:
        raise P2PError("invalid_trial", "the charter would refuse it", 422)

    state = (object(),)
    background.ask("a", state, refused)
    assert background.settled(5)
    done = background.ask("a", state, refused)
    assert done is not None and done.result is None
    assert isinstance(done.refusal, P2PError) and done.refusal.code == "invalid_trial"
