"""A meeting-time poll on the proposal page: every time in the viewer's time zone (its UTC
time in `<time datetime>`), and who can come at each, best first.

The viewer's zone is `?tz=` (an IANA name), else the `tz` cookie that `static/timezone.js`
sets from the browser, else UTC: the page is right without a script once a zone is known.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from p2pvalue.events.authority import Authority
from p2pvalue.events.log import SpaceLog
from p2pvalue.governance.methods import Cast, tally
from p2pvalue.governance.methods.meeting import best_first, meeting_time, who_can_come
from p2pvalue.governance.proposals import (
    OPEN,
    Proposal,
    at_close,
    casts,
    eligible_weight,
    in_force,
)
from p2pvalue.web.zones import zone_of

__all__ = ["local_time", "meeting_view", "zone_of"]  # zone_of: where the pages found it


def local_time(option_id: str, zone: ZoneInfo) -> str:
    """A poll's time as the viewer reads it, e.g. `Thu 10 Dec 2026, 16:00 CET`."""
    at = meeting_time(option_id)
    return option_id if at is None else at.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z")


def _counted(log: SpaceLog, state: Authority, proposal: Proposal) -> list[Cast]:
    """The ballots shown: those the close counted, or while open (and not secret) those in."""
    if proposal.outcome is not None:
        as_then, delegations = at_close(log, proposal.id)
        return casts(as_then, delegations)
    secret = proposal.policy is not None and proposal.policy.secret
    return [] if secret or proposal.status != OPEN else casts(proposal, in_force(proposal, state))


def meeting_view(
    log: SpaceLog, state: Authority, proposal: Proposal, zone: ZoneInfo
) -> dict[str, Any] | None:
    """What the page shows of a meeting-time poll (None for any other method)."""
    if proposal.policy is None or proposal.policy.method != "meeting":
        return None
    counted = _counted(log, state, proposal)
    figures = tally(proposal.rules, proposal.options, counted, eligible_weight(proposal)).figures
    people = who_can_come(proposal.options, counted)
    times = [
        {"id": option, "local": local_time(option, zone), **people[option],
         "can_come": figures["can_come"].get(option, 0)}
        for option in best_first(proposal.options, figures)
    ]  # fmt: skip
    return {"zone": zone.key, "times": times, "at": lambda o: local_time(o, zone)}
