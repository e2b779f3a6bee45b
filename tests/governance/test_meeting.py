"""The meeting-time poll (governance/methods/meeting.py) and its proposals on the log.

Worked example, checkable by hand: times t1 < t2 < t3. ann marks t1 yes, t2 if need be; bea
marks t1 if need be, t2 yes; cem marks t2 yes, t3 yes. Can come: t1 2, t2 3, t3 1; so t2 is
best, then t1, then t3.
"""

from __future__ import annotations

from typing import Any

from events.helpers import ALICE, BOB, T0, authority
from governance.test_lifecycle import HOUR, Community
from p2pvalue.governance.methods import check_ballot
from p2pvalue.governance.methods.base import Cast, Option, Rules
from p2pvalue.governance.methods.meeting import (
    best_first,
    meeting_time,
    tally_meeting,
    who_can_come,
)
from p2pvalue.governance.proposals import proposals_of

T1, T2, T3 = "2026-12-10T09:00Z", "2026-12-10T15:00Z", "2026-12-11T15:00Z"
TIMES = [Option(T1), Option(T2), Option(T3)]
RULES = Rules("meeting")


def ballot(pairs: dict[str, str]) -> dict[str, Any]:
    return {"availability": pairs}


CASTS = [
    Cast("ann", 1, ballot({T1: "yes", T2: "if_need_be"})),
    Cast("bea", 1, ballot({T1: "if_need_be", T2: "yes"})),
    Cast("cem", 1, ballot({T2: "yes", T3: "yes"})),
]


def test_the_time_most_can_come_to_wins_and_all_are_ordered_best_first() -> None:
    result = tally_meeting(RULES, TIMES, CASTS, 3)
    assert (result.passed, result.winners, result.tie) == (True, (T2,), False)
    assert result.figures["can_come"] == {T1: 2, T2: 3, T3: 1}
    assert result.figures["yes"] == {T1: 1, T2: 2, T3: 1}
    assert best_first(TIMES, result.figures) == [T2, T1, T3]
    assert who_can_come(TIMES, CASTS)[T1] == {"yes": ["ann"], "if_need_be": ["bea"]}


def test_plain_yeses_break_an_equal_count_then_the_earliest_time() -> None:
    reserved = [Cast("ann", 1, ballot({T1: "if_need_be", T2: "yes"}))]
    assert tally_meeting(RULES, TIMES, reserved, 2).winners == (T2,)
    both = [Cast("ann", 1, ballot({T1: "yes", T3: "yes"}))]
    result = tally_meeting(RULES, TIMES, both, 2)
    assert (result.winners, result.tie, result.tied) == ((T1,), True, (T1, T3))


def test_no_one_available_is_no_meeting() -> None:
    result = tally_meeting(RULES, TIMES, [Cast("ann", 1, ballot({T1: "no"}))], 2)
    assert (result.passed, result.winners) == (False, ())


def test_ballots_mark_known_times_with_known_marks() -> None:
    assert check_ballot(RULES, TIMES, ballot({T1: "yes", T2: "no"})) is None
    assert check_ballot(RULES, TIMES, ballot({T1: "perhaps"})) == "bad_ballot"
    assert check_ballot(RULES, TIMES, {"approve": [T1]}) == "bad_ballot"
    assert check_ballot(RULES, TIMES, ballot({"2027-01-01T10:00Z": "yes"})) == "unknown_option"


def test_only_utc_minutes_are_times() -> None:
    assert meeting_time(T1) is not None
    assert [meeting_time(t) for t in ("2026-13-10T09:00Z", "2026-12-10 09:00", "soon")] == [
        None,
        None,
        None,
    ]


def test_a_meeting_poll_needs_times_as_options_and_counts_availability() -> None:
    poll = Community(method="meeting")
    wrong = poll.do(ALICE, "proposal.create", {"title": "When?", "action": {"type": "text"},
                                              "options": [{"id": "monday"}]})  # fmt: skip
    made = poll.propose({"type": "text"}, options=[{"id": T1}, {"id": T2}])
    at = T0 + HOUR + 1
    poll.do(ALICE, "vote.cast", {"proposal": made.id, "ballot": ballot({T1: "yes"})}, at)
    both = ballot({T1: "if_need_be", T2: "yes"})
    poll.do(BOB, "vote.cast", {"proposal": made.id, "ballot": both}, at)
    log = poll.decided()
    assert log.reasons[wrong.id] == "option_not_a_time"
    assert log.reasons[made.id] is None
    poll.close(made, "passed", T0 + 2 * HOUR, winners=(T1,))
    found = proposals_of(authority(poll.decided()))[made.id]
    assert (found.status, found.winners) == ("enacted", (T1,))
