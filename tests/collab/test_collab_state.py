"""Folding collaboration state on (`collab.state.advance`) with plain values: new events at
the tip are folded on, and what would judge an already folded thread otherwise (a change
before it, or the proposal or claim it is on arriving later) makes it read everything."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from p2pvalue.collab.state import Kept, advance
from p2pvalue.events.authority import Authority, Membership
from p2pvalue.events.authority import AuthorizedEvent as ValueEvent
from p2pvalue.events.charter import charter_from_content
from p2pvalue.governance.templates import default_charter
from p2pvalue.log_changes import Suffix

A = "did:key:z6MkAlice"
AUTHORITY = Authority("space", "Commons", A, charter_from_content(default_charter()),
                      {A: Membership("member", frozenset({"member"}))})  # fmt: skip


def event(id: str, type: str, content: dict[str, Any]) -> ValueEvent:
    return ValueEvent(id, type, A, 1, content, AUTHORITY)


def suffix(version: int, start: int, events: list[tuple[int, ValueEvent]],
           authority: Authority = AUTHORITY) -> Suffix:  # fmt: skip
    length = events[-1][0] + 1 if events else start
    return Suffix(version, start, length, events, authority)


def on(kind: str, target: str) -> ValueEvent:
    return event(f"t-{target}", "thread.create",
                 {"on": {"kind": kind, "id": target}, "title": "t", "text": "x"})  # fmt: skip


def kept_with(*events: ValueEvent) -> Kept:
    found = advance("space", None, suffix(1, 0, list(enumerate(events))))
    assert found is not None
    return found


def test_events_at_the_tip_fold_on_into_a_new_state() -> None:
    kept = kept_with(event("task1", "task.create", {"title": "t"}))
    reply = [(5, event("task2", "task.create", {"title": "u"}))]
    after = advance("space", kept, suffix(2, 1, reply))
    assert after is not None and list(after.state.board.tasks) == ["task1", "task2"]
    assert list(kept.state.board.tasks) == ["task1"]
    assert after.after == 6


def test_a_change_before_the_last_event_folded_reads_everything() -> None:
    kept = kept_with(event("task1", "task.create", {"title": "t"}),
                     event("task2", "task.create", {"title": "u"}))  # fmt: skip
    assert advance("space", kept, suffix(2, 1, [])) is None
    late = [(0, event("task0", "task.create", {"title": "s"}))]
    refolded = advance("space", kept, suffix(2, 0, late))  # from 0: folded anew
    assert refolded is not None and list(refolded.state.board.tasks) == ["task0"]


def test_a_claim_arriving_after_a_thread_on_it_reads_everything() -> None:
    kept = kept_with(on("contribution", "claim1"))
    assert kept.state.threads.void == {"t-claim1": "unknown_target"}
    claim = [(3, event("claim1", "contribution.claim", {}))]
    assert advance("space", kept, suffix(2, 3, claim)) is None
    other = [(3, event("claim2", "contribution.claim", {}))]
    assert advance("space", kept, suffix(2, 3, other)) is not None


def test_a_proposal_appearing_or_going_under_a_thread_reads_everything() -> None:
    kept = kept_with(on("proposal", "prop1"))
    proposed = replace(AUTHORITY, proposals={"prop1": object()})
    assert advance("space", kept, suffix(2, 3, [], proposed)) is None
    stands = advance("space", None, suffix(1, 0, [(0, on("proposal", "prop1"))], proposed))
    assert stands is not None and stands.state.threads.void == {}
    assert advance("space", stands, suffix(2, 3, [], AUTHORITY)) is None
    unrelated = replace(AUTHORITY, proposals={"prop1": object(), "prop2": object()})
    assert advance("space", stands, suffix(2, 3, [], unrelated)) is not None
