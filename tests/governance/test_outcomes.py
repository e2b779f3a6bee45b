"""After the close: the outcome statement and the follow-ups of a decision in words, judged
by the pure log against real signed events."""

from __future__ import annotations

import random
from typing import Any

from events.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    T0,
    SpaceBuilder,
    authority,
    parents_first,
    rebuilt,
)
from governance.test_lifecycle import GRANT_BOB, HOUR, Community, charter
from p2pvalue.events.event import Event
from p2pvalue.events.keys import KeyPair
from p2pvalue.governance.outcomes import may_follow_through
from p2pvalue.governance.proposals import Proposal, proposals_of

FACILITATOR = ["proposal.outcome", "followup.add", "followup.update"]


def passed_by_bob(c: Community, action: dict[str, Any] | None = None) -> Event:
    """A proposal by Bob (a plain member) that everyone supports, closed as passed."""
    made = c.do(BOB, "proposal.create", {"title": "t", "action": action or {"type": "text"}})
    c.tick(made, T0 + HOUR)
    for who in (ALICE, BOB, CAROL):
        c.vote(who, made, "yes", T0 + HOUR + 1)
    c.close(made, "passed", T0 + 2 * HOUR)
    return made


def state_of(c: Community, proposal: Event) -> Proposal:
    found: Proposal = proposals_of(authority(c.decided()))[proposal.id]
    return found


def say(c: Community, who: KeyPair, proposal: Event, text: str) -> Event:
    return c.do(who, "proposal.outcome", {"proposal": proposal.id, "statement": text})


def add(c: Community, who: KeyPair, proposal: Event, title: str = "Buy the tools") -> Event:
    return c.do(who, "followup.add", {"proposal": proposal.id, "title": title})


def update(c: Community, who: KeyPair, proposal: Event, item: Event, **change: Any) -> Event:
    return c.do(who, "followup.update", {"proposal": proposal.id, "followup": item.id, **change})


def test_the_proposer_states_the_outcome_only_after_the_close() -> None:
    c = Community()
    made = c.do(BOB, "proposal.create", {"title": "t", "action": {"type": "text"}})
    early = say(c, BOB, made, "We will decide soon")
    c.tick(made, T0 + HOUR)
    c.vote(BOB, made, "yes", T0 + HOUR + 1)
    c.close(made, "passed", T0 + 2 * HOUR)
    stated = say(c, BOB, made, "We buy a **laser cutter**; Dave orders it.")
    log = c.decided()
    assert (log.reasons[early.id], log.reasons[stated.id]) == ("proposal_not_closed", None)
    statement = state_of(c, made).statement
    assert statement is not None
    assert (statement.text, statement.author, statement.event, statement.revisions) == (
        "We buy a **laser cutter**; Dave orders it.",
        BOB.did,
        stated.id,
        1,
    )


def test_a_later_statement_by_a_facilitator_replaces_it_and_others_are_refused() -> None:
    c = Community()
    made = passed_by_bob(c)
    say(c, BOB, made, "first")
    outsider = say(c, CAROL, made, "carol's view")
    amended = say(c, ALICE, made, "amended by an admin")  # admins hold every event type
    log = c.decided()
    assert (log.reasons[outsider.id], log.reasons[amended.id]) == ("not_a_facilitator", None)
    statement = state_of(c, made).statement
    assert statement is not None
    assert (statement.text, statement.author, statement.revisions) == (
        "amended by an admin",
        ALICE.did,
        2,
    )


def test_a_role_the_charter_names_for_it_makes_a_facilitator() -> None:
    c = Facilitated()
    made = passed_by_bob(c)
    refused = say(c, CAROL, made, "carol's summary")
    stated = say(c, DAVE, made, "dave's summary")
    item = add(c, DAVE, made)
    log = c.decided()
    assert (log.reasons[refused.id], log.reasons[stated.id], log.reasons[item.id]) == (
        "not_a_facilitator",
        None,
        None,
    )
    state = authority(log)
    proposal = proposals_of(state)[made.id]
    assert may_follow_through(state, DAVE.did, proposal, "followup.update")
    assert not may_follow_through(state, CAROL.did, proposal, "followup.update")


def test_follow_ups_track_status_and_progress() -> None:
    c = Community()
    made = passed_by_bob(c)
    item = add(c, BOB, made)
    update(c, BOB, made, item, status="in_progress", progress=40)
    update(c, BOB, made, item, note="ordered, arriving in May")
    log = c.decided()
    assert log.reasons[item.id] is None
    found = state_of(c, made).followups[item.id]
    assert (found.title, found.status, found.progress, found.note) == (
        "Buy the tools",
        "in_progress",
        40,
        "ordered, arriving in May",
    )
    update(c, ALICE, made, item, status="done")
    assert (state_of(c, made).followups[item.id].status,
            state_of(c, made).followups[item.id].progress) == ("done", 100)  # fmt: skip


def test_follow_ups_are_refused_where_they_cannot_apply() -> None:
    c = Community()
    passed = passed_by_bob(c)
    item = add(c, BOB, passed)
    by_outsider = update(c, CAROL, passed, item, progress=10)
    unknown = c.do(BOB, "followup.update", {"proposal": passed.id, "followup": passed.id,
                                            "status": "dropped"})  # fmt: skip
    applied = passed_by_bob(c, GRANT_BOB)
    on_applied = add(c, BOB, applied)
    rejected = c.do(BOB, "proposal.create", {"title": "r", "action": {"type": "text"}})
    c.tick(rejected, T0 + 3 * HOUR)
    before_close = add(c, BOB, rejected)
    c.vote(DAVE, rejected, "no", T0 + 3 * HOUR + 1)
    c.close(rejected, "rejected", T0 + 4 * HOUR)
    on_rejected = add(c, BOB, rejected)
    reasons = c.decided().reasons
    assert [
        reasons[e.id] for e in (by_outsider, unknown, on_applied, before_close, on_rejected)
    ] == [
        "not_a_facilitator",
        "unknown_followup",
        "applied_by_platform",
        "proposal_not_closed",
        "proposal_not_passed",
    ]
    assert state_of(c, passed).followups[item.id].progress == 0


def test_statements_and_follow_ups_fold_alike_in_any_arrival_order() -> None:
    c = Community()
    made = passed_by_bob(c)
    item = add(c, BOB, made)
    update(c, BOB, made, item, status="in_progress", progress=30)
    say(c, BOB, made, "one")
    say(c, ALICE, made, "two")
    expected = rebuilt(c.space.space, c.space.events).authority
    rng = random.Random(7)
    for _ in range(5):
        shuffled = parents_first(c.space.events, rng)
        assert rebuilt(c.space.space, shuffled).authority == expected


class Facilitated(Community):
    """A community whose charter names a `facilitator` role, which Dave holds."""

    def __init__(self) -> None:
        content = charter()
        content["roles"]["facilitator"] = FACILITATOR
        self.space = SpaceBuilder(charter=content)
        self.last = self.space.create
        for who in (BOB, CAROL, DAVE):
            self.do(who, "member.join", {})
        self.do(ALICE, "role.grant", {"member": DAVE.did, "role": "facilitator"})
