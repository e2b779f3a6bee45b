"""Finding a meeting time (Loomio's time poll): the options are UTC date-times, and each
member marks every time `yes`, `if_need_be` or `no` (an unmarked time is a no).

The best time is the one the most can come to (yes and if need be), then the one with the
most plain yeses, then the charter's tie order (with `lexicographic` or `status_quo` the
earliest time, since option ids are ISO times). A poll "passes" when someone can come at
its best time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from p2pvalue.governance.methods.base import Cast, CheckFn, Option, Rules, Tally, TallyFn
from p2pvalue.governance.methods.cardinal import elect

MARKS = ("yes", "if_need_be", "no")
Available = dict[str, list[str]]  # mark (yes, if_need_be) → voters
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$")  # a UTC minute, e.g. 2026-12-10T15:00Z


def meeting_time(option_id: str) -> datetime | None:
    """The UTC date-time an option id names, or None if it names none."""
    if not TIME.match(option_id):
        return None
    try:
        return datetime.strptime(option_id, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def marks_of(ballot: object) -> dict[str, str] | None:
    """The `{time: mark}` an `{"availability": {...}}` ballot holds, or None if not so shaped."""
    if not isinstance(ballot, Mapping) or set(ballot) != {"availability"}:
        return None
    marks = ballot["availability"]
    if not isinstance(marks, Mapping):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in marks.items()):
        return None
    return dict(marks)


def check_meeting(rules: Rules, options: Sequence[Option], ballot: Mapping[str, Any]) -> str | None:
    """None if `ballot` marks known times with yes, if_need_be or no."""
    marks = marks_of(ballot)
    if marks is None or not set(marks.values()) <= set(MARKS):
        return "bad_ballot"
    return None if set(marks) <= {option.id for option in options} else "unknown_option"


def who_can_come(options: Sequence[Option], casts: Sequence[Cast]) -> dict[str, Available]:
    """Per time, the voters who marked it yes and those who marked it if need be."""
    found: dict[str, Available] = {o.id: {"yes": [], "if_need_be": []} for o in options}
    for cast in casts:
        for option, mark in (marks_of(cast.ballot) or {}).items():
            if option in found and mark in found[option]:
                found[option][mark].append(cast.voter)
    return found


def tally_meeting(
    rules: Rules, options: Sequence[Option], casts: Sequence[Cast], eligible: int
) -> Tally:
    """The best times, best first (`rules.seats` of them, one by default)."""
    yes = {option.id: 0 for option in options}
    maybe = dict(yes)
    for cast in casts:
        for option, mark in (marks_of(cast.ballot) or {}).items():
            counted = yes if mark == "yes" else maybe if mark == "if_need_be" else None
            if counted is not None and option in counted:
                counted[option] += cast.weight
    can_come = {option: yes[option] + maybe[option] for option in yes}
    # One number per time that orders it by (can come, plain yes): yes never exceeds the total.
    scale = sum(cast.weight for cast in casts) + 1
    winners, tied = elect(rules, {o: can_come[o] * scale + yes[o] for o in yes})
    figures = {"can_come": can_come, "yes": yes, "if_need_be": maybe,
               "ballots": scale - 1}  # fmt: skip
    if not winners:
        return Tally(rules.method, False, reason="no one can come at any time", figures=figures)
    reason = f"{can_come[winners[0]]} can come at {winners[0]}, {yes[winners[0]]} without reserve"
    if tied:
        reason += f"; {', '.join(tied)} tied, broken by the {rules.tie_break} tie order"
    outcome = Tally(rules.method, True, tuple(winners), bool(tied), tuple(tied), reason)
    return replace(outcome, figures=figures)


def best_first(options: Sequence[Option], figures: Mapping[str, Any]) -> list[str]:
    """Every time, the most who can come first, then the most plain yeses, then the earliest."""
    can, yes = figures.get("can_come", {}), figures.get("yes", {})
    return sorted((o.id for o in options), key=lambda o: (-can.get(o, 0), -yes.get(o, 0), o))


TALLIES: dict[str, TallyFn] = {"meeting": tally_meeting}
CHECKS: dict[str, CheckFn] = {"meeting": check_meeting}
