"""Reminders to vote: a member who may vote on an open proposal and has not is reminded a
set time before its window ends (the policy's `remind_before_hours`).

Pure functions of a proposal and a time: the time is the node's clock, never an author's,
and the deadline is the one the timekeeper closes by (the witnessed start plus the window),
so a reminder is shown only once a timekeeper started the window.
"""

from __future__ import annotations

from typing import Any

from p2pvalue.governance.proposals import HOUR_MS, OPEN, Proposal
from p2pvalue.governance.types import DecisionPolicy

DEFAULT_REMIND_HOURS = 24


def remind_period_ms(policy: DecisionPolicy) -> int:
    """How long before the deadline members are reminded (ms): the policy's hours, else a
    day, never longer than the window itself; 0 when the policy turns reminders off."""
    hours = policy.remind_before_hours
    hours = DEFAULT_REMIND_HOURS if hours is None else hours
    return min(hours, policy.window_hours) * HOUR_MS


def has_voted(proposal: Proposal, did: str) -> bool:
    """Whether `did` cast or committed a ballot of their own: a delegate's ballot that
    counts for them is not their vote, and does not silence the reminder."""
    return did in proposal.ballots or did in proposal.commitments


def hours_left(deadline: int, now: int) -> int:
    """Whole hours until `deadline`, rounded up, so "closes in 1 hour" is never late."""
    return max(1, -(-(deadline - now) // HOUR_MS))


def vote_reminder(proposal: Proposal, did: str, now: int) -> dict[str, Any] | None:
    """The reminder `did` should see at `now`, or None: only while the proposal is open and
    its window witnessed, `did` eligible and not yet voted, and `now` within the policy's
    reminder period before the deadline. Its `ts` is when that period began."""
    policy = proposal.policy
    if proposal.status != OPEN or policy is None or proposal.witnessed is None:
        return None
    if did not in proposal.eligible or has_voted(proposal, did):
        return None
    period, deadline = remind_period_ms(policy), proposal.closes_at
    if period == 0 or not deadline - period <= now < deadline:
        return None
    left = hours_left(deadline, now)
    message = f"Vote on '{proposal.title}' — it closes in {left} hour{'s' if left != 1 else ''}"
    return {
        "kind": "vote_reminder",
        "ts": deadline - period,
        "closes_at": deadline,
        "closes_in_hours": left,
        "voted": False,
        "message": message,
    }
