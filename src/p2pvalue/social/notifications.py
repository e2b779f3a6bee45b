"""A member's notifications across the spaces they belong to, newest first: posts that
mention them, claims they may review, reviews of their own claims and the decisions on
them, money paid to them, tasks assigned to them, the governance notices (proposals open
to their vote, reminders to vote before they close, and outcomes), and the membership ones
(requests to join they may answer, invitations waiting for them).

Each kind is a pure function of one space's folded state (threads, ledger, board), so a
notification that asks for something disappears once it is done (the claim reviewed, the
task done); news (a review received, a payout) is shown for RECENT_MS. Every notification
has a stable `id` (its kind and what it is about), by which a member marks it read; only
those marks are stored. `Notifications` gathers them for a node's member.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
from p2pvalue.governance.service import Governance, proposal_notices
from p2pvalue.social.unread import UnreadCounts
from p2pvalue.store import notices as store
from p2pvalue.store.database import writing
from p2pvalue.store.directory import SpaceSummary

GOVERNANCE_KINDS = ("proposal_opened", "closing_soon", "vote_reminder", "outcome")
VALUE_KINDS = ("review_requested", "review_received", "claim_decided", "payout")
MEMBERSHIP_KINDS = ("join_request", "invitation")
KINDS = ("mention", *VALUE_KINDS, "task_assigned", *GOVERNANCE_KINDS, *MEMBERSHIP_KINDS)
# What each kind is about: its id is "<kind>:<that field's value>".
SUBJECTS = {"mention": "post", "review_requested": "claim", "review_received": "review",
            "claim_decided": "claim", "payout": "payout", "task_assigned": "task",
            "join_request": "request", "invitation": "request"}  # fmt: skip
RECENT_MS = 30 * 24 * 3600 * 1000  # how long news of a review or a payout is shown
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
TITLE_CHARS = 140
ASSIGNED = frozenset({"open", "claimed", "in_review"})  # a task its assignees still work on
Note = dict[str, Any]
Places = list[tuple[SpaceSummary, Authority]]  # the spaces, each with its governance state


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
                   "title": title, "by": post.author}  # fmt: skip


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
                   "title": short(claim.description), "by": claim.author}  # fmt: skip


def reviews_received(ledger: Ledger, did: str, since: int) -> Iterator[Note]:
    """Reviews by others, given after `since`, of claims `did` shares in; and the decision
    on each such claim once it was accepted or rejected."""
    for claim in ledger.claims.values():
        if did not in claim.shares:
            continue
        title = short(claim.description)
        for review in claim.reviews.values():
            if review.reviewer != did and review.ts >= since:
                yield {"kind": "review_received", "ts": review.ts, "review": review.event,
                       "claim": claim.id, "title": title, "by": review.reviewer,
                       "verdict": review.verdict}  # fmt: skip
        decided = max((r.ts for r in claim.reviews.values()), default=claim.ts)
        if claim.status in ("accepted", "rejected") and decided >= since:
            yield {"kind": "claim_decided", "ts": decided, "claim": claim.id, "title": title,
                   "status": claim.status}  # fmt: skip


def payouts(ledger: Ledger, did: str, since: int) -> Iterator[Note]:
    """Payout runs after `since` that paid `did` something."""
    for record in ledger.payouts:
        amount = record.allocations.get(did, 0)
        if amount > 0 and record.ts >= since:
            yield {"kind": "payout", "ts": record.ts, "payout": record.id, "amount": amount,
                   "currency": record.currency}  # fmt: skip


def note_id(note: Note) -> str:
    """A notification's stable id: its kind and what it is about (a post, a claim, a
    review, a payout, a task, else a proposal), the same each time it is derived."""
    subject = SUBJECTS.get(note["kind"], "proposal")
    return f"{note['kind']}:{note.get(subject) or note.get('id', '')}"[:100]


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
        self._unread = UnreadCounts(wiring.engine, wiring.clock, self._ids)

    def of(self, did: str, kind: str | None = None, limit: int = DEFAULT_LIMIT) -> list[Note]:
        """The member's notifications, newest first: only `kind` when one is given, at most
        `limit` (1 to MAX_LIMIT) of them; each with its `id` and whether it was `read`."""
        if kind is not None and kind not in KINDS:
            raise P2PError("unknown_notification_kind", f"kind is one of {', '.join(KINDS)}", 422)
        if not 1 <= limit <= MAX_LIMIT:
            raise P2PError("bad_limit", f"limit is 1 to {MAX_LIMIT}", 422)
        return self.every(did, kind)[:limit]

    def every(self, did: str, kind: str | None = None) -> list[Note]:
        """All the member's notifications (only `kind` when given), newest first."""
        notes = self._derived(did, kind)
        with self.wiring.engine.connect() as conn:
            read = store.read_notes(conn, did)
        chosen = [
            {"id": (id_ := note_id(note)), **note, "read": id_ in read}
            for note in notes
            if kind is None or note["kind"] == kind
        ]
        return sorted(chosen, key=lambda note: (note["ts"], note["id"]), reverse=True)

    def unread(self, did: str) -> int:
        """How many of the member's notifications they have not marked read: derived again
        only when the store, the clock's window or their read marks changed (`unread`)."""
        return self._unread.count(did)

    def forget(self) -> None:
        """Drop the unread counts kept: the next asks derive them again."""
        self._unread.forget()

    def _ids(self, did: str) -> list[str]:
        return [note_id(note) for note in self._derived(did)]

    def _derived(self, did: str, kind: str | None = None) -> list[Note]:
        """The member's notifications of `kind` (every kind when None), without ids; each
        space and its governance state read once."""
        governance = self.wiring.service(Governance)
        places = [(summary, governance.authority(summary.id))
                  for summary in self.wiring.directory.spaces(everyone=True)]  # fmt: skip
        notes = self._governance(did, places) if kind is None or kind in GOVERNANCE_KINDS else []
        if kind is None or kind in MEMBERSHIP_KINDS:
            notes += self._membership(did, places)
        if kind not in (*GOVERNANCE_KINDS, *MEMBERSHIP_KINDS):
            notes += self._collaboration(did, places)
        return notes

    def mark_read(self, did: str, ids: Sequence[str] | None = None) -> int:
        """Mark the member's notifications `ids` read (all of their current ones when None);
        ids that name none of theirs are ignored. How many were newly marked."""
        current = {note["id"] for note in self.every(did)}
        chosen = current if ids is None else current & set(ids)
        with writing(self.wiring.engine) as conn:
            return store.mark_read(conn, did, chosen, self.wiring.clock())

    def _governance(self, did: str, places: Places) -> list[Note]:
        now = self.wiring.clock()
        return [
            {"space": summary.id, "space_name": summary.name, **note, "private": summary.private}
            for summary, state in places
            for note in proposal_notices(state, did, now)
        ]

    def _membership(self, did: str, places: Places) -> list[Note]:
        """Requests to join that `did` may answer, and invitations waiting for them."""
        found: list[tuple[SpaceSummary, str, str]] = []  # (space, kind, the request's id)
        for summary, state in places:
            found += ((summary, "join_request", since) for _, since in join_requests(state, did))
            mine = state.members.get(did)
            if mine is not None and mine.status == INVITED:
                found.append((summary, "invitation", mine.since))
        if not found:
            return []
        events = self.wiring.directory.events_by_id(since for _, _, since in found)
        names = self.wiring.accounts.names(sorted({e.author for e in events.values()}))
        notes: list[Note] = []
        for summary, kind, since in found:
            event = events.get(since)
            if event is None:
                continue
            person = event.author  # the requester, or the inviter
            name = names.get(person) or person
            title = f"{name} invites you" if kind == "invitation" else f"{name} asks to join"
            notes.append({"kind": kind, "ts": event.ts, "space": summary.id,
                          "space_name": summary.name, "member": person, "by": person,
                          "request": event.id, "title": title,
                          "private": summary.private})  # fmt: skip
        return notes

    def _collaboration(self, did: str, places: Places) -> list[Note]:
        account = self.wiring.accounts.by_did(did)
        notes: list[Note] = []
        for summary, authority in places:
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
                since = self.wiring.clock() - RECENT_MS
                found += reviews_requested(ledger, did, roles, policy.acceptance.role)
                found += reviews_received(ledger, did, since)
                found += payouts(ledger, did, since)
            notes += ({"space": summary.id, "space_name": summary.name,
                       "private": summary.private, **n} for n in found)  # fmt: skip
        return notes
