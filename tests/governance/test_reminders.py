"""Reminders to vote on a real node (SQLite and PostgreSQL) whose clock the test moves: none
before the reminder period, one for each eligible member who has not voted inside it, gone
once they vote or the proposal closes, and none when the policy turns them off; the period
and the message, with plain values."""

from __future__ import annotations

from typing import Any

from clock import advance
from governance.test_service import community
from p2pvalue.governance.methods import Option
from p2pvalue.governance.proposals import OPEN, Ballot, Proposal
from p2pvalue.governance.reminders import remind_period_ms, vote_reminder
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.governance.types import DecisionPolicy
from p2pvalue.node import Node
from p2pvalue.social import Social

HOUR = 3_600_000
MINUTE = 60_000
TEXT = {"title": "Paint the door", "action": {"type": "text"}}


def charter(**policy: Any) -> dict[str, Any]:
    content = default_charter("open")
    content["decisions"] = {"default": {"method": "majority", "window_hours": 48, **policy}}
    return content


def reminded(node: Node, did: str) -> list[tuple[str, str]]:
    """The (proposal, message) of each vote reminder `did` sees, through `Social`."""
    notes = node.service(Social).notifications.of(did, "vote_reminder")
    return [(n["proposal"], n["message"]) for n in notes]


def test_non_voters_are_reminded_in_the_period_until_they_vote_or_it_closes(node: Node) -> None:
    space, (ann, ben, cat, dan) = community(node, charter(remind_before_hours=5))
    made = str(node.service(Governance).propose(ann, space, TEXT).id)
    node.service(Governance).keep_deadlines()  # the founder's tick starts the window
    node.service(Governance).vote(cat, space, made, {"choice": "yes"})
    node.act(dan, space, "delegation.set", {"kind": "*", "to": cat.did})
    advance(node, 42 * HOUR)
    assert reminded(node, ben.did) == []  # six hours left: not yet

    advance(node, HOUR + MINUTE)
    message = "Vote on 'Paint the door' — it closes in 5 hours"
    assert reminded(node, ben.did) == [(made, message)]
    assert reminded(node, dan.did) == [(made, message)]  # a delegate's vote is not his own
    assert reminded(node, cat.did) == []
    assert [n["kind"] for n in node.service(Governance).notifications(cat.did)] == [
        "proposal_opened"
    ]
    note = node.service(Governance).notifications(ben.did)[0]
    deadline = node.service(Governance).proposal(space, made).closes_at
    assert (note["kind"], note["ts"], note["closes_at"]) == (
        "vote_reminder", deadline - 5 * HOUR, deadline)  # fmt: skip

    node.service(Governance).vote(ben, space, made, {"choice": "no"})
    assert reminded(node, ben.did) == []
    advance(node, 5 * HOUR)
    assert node.service(Governance).keep_deadlines() == 1
    assert [reminded(node, who.did) for who in (ann, dan)] == [[], []]


def test_no_reminder_when_the_policy_turns_them_off(node: Node) -> None:
    space, (ann, ben, *_) = community(node, charter(remind_before_hours=0))
    node.service(Governance).propose(ann, space, TEXT)
    node.service(Governance).keep_deadlines()
    advance(node, 47 * HOUR + 30 * MINUTE)
    assert reminded(node, ben.did) == []
    assert node.service(Governance).notifications(ben.did)[0]["kind"] == "closing_soon"


def _proposal(policy: DecisionPolicy, witnessed: int | None = 0, **fields: Any) -> Proposal:
    return Proposal(id="p", author="ann", kind="default", title="Rename", body="",
                    action={"type": "text"}, options=(Option("yes", ""),), created_ts=0,
                    status=OPEN, policy=policy, witnessed=witnessed,
                    eligible=frozenset({"ann", "ben"}), **fields)  # fmt: skip


def test_the_period_defaults_to_a_day_within_the_window() -> None:
    assert remind_period_ms(DecisionPolicy(method="majority")) == 24 * HOUR
    assert remind_period_ms(DecisionPolicy(method="majority", window_hours=3)) == 3 * HOUR
    short = DecisionPolicy(method="majority", window_hours=3, remind_before_hours=1)
    assert remind_period_ms(short) == HOUR
    assert "remind_before_hours" not in DecisionPolicy(method="majority").model_dump(
        exclude_none=True
    )  # a charter that does not set it keeps its bytes


def test_a_reminder_needs_a_witnessed_window_an_eligible_non_voter_and_the_period() -> None:
    policy = DecisionPolicy(method="majority", window_hours=10, remind_before_hours=2)
    proposal = _proposal(policy)
    found = vote_reminder(proposal, "ben", 9 * HOUR + 59 * MINUTE)
    assert found is not None
    assert found["message"] == "Vote on 'Rename' — it closes in 1 hour"
    assert vote_reminder(proposal, "ben", 8 * HOUR) is not None
    assert vote_reminder(proposal, "ben", 8 * HOUR - 1) is None
    assert vote_reminder(proposal, "ben", 10 * HOUR) is None  # the deadline has passed
    assert vote_reminder(proposal, "cat", 9 * HOUR) is None  # not eligible
    assert vote_reminder(_proposal(policy, witnessed=None), "ben", 9 * HOUR) is None
    voted = _proposal(policy, ballots={"ben": Ballot({"choice": "yes"}, "e", 1)})
    assert vote_reminder(voted, "ben", 9 * HOUR) is None
    committed = _proposal(policy, commitments={"ben": "c" * 43})
    assert vote_reminder(committed, "ben", 9 * HOUR) is None
