"""The node's side of collaboration: the board, threads and documents of a space (kept
folded as its log grows, see `collab.state`), refusals before anything is stored,
mentions resolved to members, and the contribution claim a done task drafts, confirmed by
one of its assignees.

The rules themselves are pure (`collab.board`, `collab.threads`); this module reads the
log and builds the events a node's own members emit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from p2pvalue.accounting.equation import charter_equation
from p2pvalue.accounting.types import value_policy
from p2pvalue.accounts import Account
from p2pvalue.collab import board as boards
from p2pvalue.collab import documents as docs
from p2pvalue.collab import threads as discussions
from p2pvalue.collab.board import BOARD_REFUSALS, BOARD_TYPES, Task
from p2pvalue.collab.documents import DOC_REFUSALS, DOC_TYPES, Document
from p2pvalue.collab.markdown import mentioned
from p2pvalue.collab.state import (
    CLAIM,
    COLLAB_TYPES,
    FOLDED_TYPES,
    CollabState,
    Kept,
    advance,
    targets,
)
from p2pvalue.collab.threads import THREAD_REFUSALS
from p2pvalue.collab.types import DOC_WRITE
from p2pvalue.domain import Wiring
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.authority import Authority
from p2pvalue.events.authority import AuthorizedEvent as ValueEvent
from p2pvalue.events.event import now_ms
from p2pvalue.events.types import parse_content
from p2pvalue.folding import Folding
from p2pvalue.ingest import Outcome
from p2pvalue.store import documents as doc_store
from p2pvalue.wording import N_

__all__ = ["COLLAB_TYPES", "Collab", "CollabState", "refusal"]
COLLAB_REFUSALS = {
    **BOARD_REFUSALS,
    **THREAD_REFUSALS,
    **DOC_REFUSALS,
    "no_draft": N_("only a done task with assignees drafts a contribution claim"),
    "quantity_required": N_("give the quantity of the work: the draft has none"),
}
_NOT_FOUND = {"unknown_project", "unknown_task", "unknown_target", "unknown_thread",
              "unknown_post", "unknown_document"}  # fmt: skip
_FORBIDDEN = {"not_a_project_member", "not_an_assignee", "not_task_steward", "not_the_author",
              "read_only"}  # fmt: skip
_INVALID = {"assignee_not_a_member", "project_member_not_a_member", "edit_unchanged",
            "quantity_required"}  # fmt: skip


def refusal(code: str) -> P2PError:
    """The error for a collaboration rule: 404 for what does not exist, 403 for what the
    author may not do, 422 for bad input, 409 for a state that does not allow it."""
    status = 404 if code in _NOT_FOUND else 403 if code in _FORBIDDEN else (
        422 if code in _INVALID else 409)  # fmt: skip
    return P2PError(code, COLLAB_REFUSALS.get(code, code), status)


@dataclass(frozen=True)
class DocAccess:
    document: Document
    did: str
    writes: bool


class Collab:
    """Projects, tasks and threads as a node's members take part in them."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring
        self._folding: Folding[Kept, CollabState] = Folding(
            wiring.writer, FOLDED_TYPES, advance, lambda kept: kept.state
        )

    def rebuild(self) -> None:
        """Drop the collaboration state derived from the logs; the next read refolds it."""
        self._folding.forget()

    def state(self, space: str) -> CollabState:
        """The space's board, threads and documents as its log now is; never changed after."""
        return self._folding.read(space)

    def _authority(self, space: str) -> Authority:
        log = self.wiring.writer.log(space)
        if log is None or log.authority is None:
            raise NotFound("unknown_space", f"no space {space!r} on this node")
        return log.authority

    def precheck(
        self, account: Account, space: str, type: str, content: dict[str, Any], ts: int
    ) -> None:
        """Refuse, before anything is stored, an action the board or threads would void."""
        parse_content(type, content)
        proposed = ValueEvent("-", type, account.did, ts, content, self._authority(space))
        state = self.state(space)
        if type in BOARD_TYPES:
            reason = boards.check(state.board, proposed)
        elif type in DOC_TYPES:
            reason = docs.check(state.documents, proposed, frozenset(state.board.projects))
        else:
            about = targets(state, self._authority(space).proposals)
            reason = discussions.check(state.threads, proposed, about)
        if reason is not None:
            raise refusal(reason)

    def task(self, space: str, task: str) -> Task:
        found = self.state(space).board.tasks.get(task)
        if found is None:
            raise refusal("unknown_task")
        return found

    def document(self, space: str, doc: str) -> Document:
        found = self.state(space).documents.by_id.get(doc)
        if found is None:
            raise refusal("unknown_document")
        return found

    def access(self, doc: str, did: str) -> DocAccess:
        """What `did` may do with the live document `doc`: read it if a member of its space,
        edit it if their roles hold `doc.write`; a refusal otherwise."""
        try:
            created = self.wiring.directory.event(doc)
        except NotFound:
            raise refusal("unknown_document") from None
        if created.type != "doc.create" or not created.accepted:
            raise refusal("unknown_document")
        document = self.document(created.space, doc)
        authority = self._authority(created.space)
        if not docs.reads(authority, did):
            raise P2PError("not_a_member", "only members of the space see its documents", 403)
        writes = authority.charter.allows(authority.roles_of(did), DOC_WRITE)
        return DocAccess(document, did, writes)

    def owners(self, doc: str) -> dict[int, str]:
        """Each Yjs client id of a live document and the member who owns it."""
        with self.wiring.engine.begin() as conn:
            return doc_store.owners(conn, doc)

    def claim_clients(self, doc: str, clients: dict[int, str]) -> None:
        with self.wiring.engine.begin() as conn:
            doc_store.claim(conn, doc, clients, now_ms())

    def mentions(self, space: str, text: str) -> list[dict[str, str]]:
        """The members of the space a text mentions as `@username`, in order."""
        authority = self._authority(space)
        found = []
        for name in mentioned(text):
            account = self.wiring.accounts.by_username(name)
            if account is not None and authority.is_member(account.did):
                found.append({"username": name, "did": account.did})
        return found

    def draft(self, space: str, task: str) -> dict[str, Any] | None:
        """The contribution claim a done task drafts for its assignees, or None."""
        policy = value_policy(self._authority(space).charter)
        if policy is None:
            return None
        equation = charter_equation(policy.kinds, policy.equation)
        units = {kind: rule.unit for kind, rule in equation.kinds.items()}
        return boards.claim_draft(self.task(space, task), units)

    def confirm(
        self, account: Account, space: str, task: str, quantity: int | None = None
    ) -> Outcome:
        """File the task's drafted claim as `account`, one of its assignees: a signed
        `contribution.claim` crediting every assignee, with the quantity the draft has or
        the one given here."""
        if value_policy(self._authority(space).charter) is None:
            raise P2PError("value_not_enabled", "this space's charter has no value policy", 422)
        found = self.task(space, task)
        draft = self.draft(space, task)
        if draft is None:
            raise refusal("no_draft")
        if account.did not in found.assignees:
            raise refusal("not_an_assignee")
        quantity = quantity if quantity is not None else draft["quantity"]
        if quantity is None:
            raise refusal("quantity_required")
        return self.wiring.act(account, space, CLAIM, {**draft, "quantity": quantity})
