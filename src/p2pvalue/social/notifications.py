"""A member's notifications across the spaces they belong to, newest first: posts that
mention them, claims they may review, tasks assigned to them, the governance notices
(proposals open to their vote, reminders to vote before they close, and outcomes), and the
membership ones (requests to join they may answer, invitations waiting for them).

Nothing is stored: each kind is a pure function of one space's folded state (threads,
ledger, board), so a notification disappears once what it asked for is done (the claim
reviewed, the task done). `Notifications` gathers them for a node's member.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from p2pvalue.accounting.model import Ledger
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import value_policy
from p2pvalue.collab.board import Board
from p2pvalue.collab.markdown import mentioned
from p2pvalue.collab.service import Collab
from p2pvalue.collab.threads import Threads
from p2pvalue.domain import Wiring
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import INVITED, REQUESTED, Authority
from p2pvalue.governance.service import Governance

GOVERNANCE_KINDS = ("proposal_opened", "closing_soon", "vote_reminder", "outcome")
MEMBERSHIP_KINDS = ("join_request", "invitation")
KINDS = ("mention", "review_requested", "task_assigned", *GOVERNANCE_KINDS, *MEMBERSHIP_KINDS)
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
TITLE_CHARS = 140
ASSIGNED = frozenset({"open", "claimed", "in_review"})  # a task its assignees still work on
Note = dict[str, Any]


def short(text: str) -> str:
    """`text` on one line, cut at TITLE_CHARS characters."""
    line = " ".join(text.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


def mentions(threads: Threads, did: str, username: str) -> Iterator[Note]:
    """Posts by others whose current text mentions `@username`."""
    for post in threads.posts.values():
        if post.author != did and username in mentioned(post.text):
            title = short(threads.threads[post.thread].title)
            yield {"kind": "mention", "ts": post.ts, "post": post.id, "thread": post.thread,
                   "title": title}  # fmt: skip


def reviews_requested(
    ledger: Ledger, did: str, roles: frozenset[str], role: str | None
) -> Iterator[Note]:
    """Pending claims `did` may review: not one they share in, not one they reviewed, and
    only if they hold the acceptance rule's `role` when the charter names one."""
    if role is not None and role not in roles:
        return
    for claim in ledger.claims.values():
        if claim.status == "pending" and did not in claim.shares and did not in claim.reviews:
            yield {"kind": "review_requested", "ts": claim.ts, "claim": claim.id,
                   "title": short(claim.description)}  # fmt: skip


def tasks_assigned(board: Board, did: str) -> Iterator[Note]:
    """Open, claimed or in-review tasks `did` is an assignee of, as of their last move."""
    for task in board.tasks.values():
        if task.status in ASSIGNED and did in task.assignees:
            ts = task.history[-1].ts if task.history else task.ts
            yield {"kind": "task_assigned", "ts": ts, "task": task.id, "status": task.status,
                   "title": short(task.title)}  # fmt: skip


def join_requests(state: Authority, did: str) -> Iterator[tuple[str, str]]:
    """The requests to join `did` may answer (they hold a role that may admit), as
    (requester, request event id)."""
    if not state.charter.allows(state.roles_of(did), "member.admit"):
        return
    for member, found in sorted(state.members.items()):
        if found.status == REQUESTED:
            yield member, found.since


class Notifications:
    """What each member of a node should know about, across their spaces."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring

    def of(self, did: str, kind: str | None = None, limit: int = DEFAULT_LIMIT) -> list[Note]:
        """The member's notifications, newest first: only `kind` when one is given, at most
        `limit` (1 to MAX_LIMIT) of them."""
        if kind is not None and kind not in KINDS:
            raise P2PError("unknown_notification_kind", f"kind is one of {', '.join(KINDS)}", 422)
        if not 1 <= limit <= MAX_LIMIT:
            raise P2PError("bad_limit", f"limit is 1 to {MAX_LIMIT}", 422)
        notes = self._governance(did) if kind is None or kind in GOVERNANCE_KINDS else []
        if kind is None or kind in MEMBERSHIP_KINDS:
            notes += self._membership(did)
        if kind not in (*GOVERNANCE_KINDS, *MEMBERSHIP_KINDS):
            notes += self._collaboration(did)
        chosen = [note for note in notes if kind is None or note["kind"] == kind]
        return sorted(chosen, key=lambda note: note["ts"], reverse=True)[:limit]

    def _governance(self, did: str) -> list[Note]:
        return self.wiring.service(Governance).notifications(did)

    def _membership(self, did: str) -> list[Note]:
        """Requests to join that `did` may answer, and invitations waiting for them."""
        notes: list[Note] = []
        for summary in self.wiring.directory.spaces(everyone=True):
            state = self.wiring.service(Governance).authority(summary.id)
            found = [("join_request", since) for _, since in join_requests(state, did)]
            mine = state.members.get(did)
            if mine is not None and mine.status == INVITED:
                found.append(("invitation", mine.since))
            events = [(kind, self.wiring.directory.event(since)) for kind, since in found]
            who = [event.author for _, event in events]  # the requester, or the inviter
            names = self.wiring.accounts.names(who)
            for (kind, event), person in zip(events, who, strict=True):
                name = names.get(person) or person
                title = f"{name} invites you" if kind == "invitation" else f"{name} asks to join"
                notes.append({"kind": kind, "ts": event.ts, "space": summary.id,
                              "space_name": summary.name, "member": person,
                              "title": title})  # fmt: skip
        return notes

    def _collaboration(self, did: str) -> list[Note]:
        account = self.wiring.accounts.by_did(did)
        notes: list[Note] = []
        for summary in self.wiring.directory.spaces(everyone=True):
            authority = self.wiring.service(Governance).authority(summary.id)
            if not authority.is_member(did):
                continue
            state = self.wiring.service(Collab).state(summary.id)
            policy = value_policy(authority.charter)
            found = [*tasks_assigned(state.board, did)]
            if account is not None:
                found += mentions(state.threads, did, account.username)
            if policy is not None:
                roles = authority.roles_of(did)
                ledger = self.wiring.service(Value).ledger(summary.id)
                found += reviews_requested(ledger, did, roles, policy.acceptance.role)
            notes += ({"space": summary.id, "space_name": summary.name, **n} for n in found)
        return notes
