"""A space's collaboration state (board, threads, documents), kept folded as its log grows.

The state is the pure folds (`board.fold`, `threads.fold`, `documents.fold`) of the space's
accepted collaboration events in the log's order, a thread judged by what it may be about
(the projects, tasks and claims of all those events, and the space's proposals now) and a
document by the projects. `advance` keeps that state and, when the log grows at the
tip, folds the new events on (`folded`, into new containers: a state handed out never
changes). It folds everything again when a change starts before the last event folded, or
when something a thread or document names appears or goes (a proposal, or a claim, project
or task that arrived after the thread that names it): a test checks that the state kept
equals a full fold in any arrival order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from p2pvalue.collab import board as boards
from p2pvalue.collab import documents as docs
from p2pvalue.collab import threads as discussions
from p2pvalue.collab.board import BOARD_TYPES, Board
from p2pvalue.collab.documents import DOC_TYPES, Documents
from p2pvalue.collab.threads import THREAD_TYPES, Targets, Threads
from p2pvalue.events.authority import AuthorizedEvent as ValueEvent
from p2pvalue.log_changes import Suffix

COLLAB_TYPES = BOARD_TYPES | THREAD_TYPES | DOC_TYPES
CLAIM = "contribution.claim"  # a thread may be on a claim
ERASE = "content.erase"
# An erasure changes the content of events already folded (a thread's title, a post):
# read with them, it makes the space's state be folded again from the stored contents.
FOLDED_TYPES = COLLAB_TYPES | {CLAIM, ERASE}


@dataclass(frozen=True)
class CollabState:
    board: Board
    threads: Threads
    claims: frozenset[str]
    documents: Documents


def targets(state: CollabState, proposals: Iterable[str]) -> Targets:
    """What a thread may be about in `state`, with the space's `proposals`."""
    known = {"proposal": proposals, "contribution": state.claims, "space": {None}}

    def exists(kind: str, target: str | None) -> str | None:
        if kind == "project":
            return None if target in state.board.projects else "unknown_project"
        if kind == "task":
            return None if target in state.board.tasks else "unknown_task"
        return None if target in known[kind] else "unknown_target"

    return exists


def fold(space: str, events: list[ValueEvent], proposals: Iterable[str]) -> CollabState:
    """The collaboration state of all of a space's accepted `FOLDED_TYPES` events, in order."""
    return folded(space, CollabState(Board(), Threads(), frozenset(), Documents()), events,
                  proposals)  # fmt: skip


def folded(
    space: str, state: CollabState, events: list[ValueEvent], proposals: Iterable[str]
) -> CollabState:
    """`state` with `events` (which follow those it was folded from) folded on; `state`
    stays as it is. Exactly `fold` of all the events when no thread or document already
    folded names a target that `events` or a change of `proposals` adds or removes."""
    board = boards.folded(state.board, events)
    new_claims = [event.id for event in events if event.type == CLAIM]
    claims = state.claims | frozenset(new_claims) if new_claims else state.claims
    grown = CollabState(board, state.threads, claims, state.documents)
    threads = discussions.folded(state.threads, events, targets(grown, proposals))
    documents = docs.folded(state.documents, space, events, board.projects)
    return CollabState(board, threads, claims, documents)


def named(events: Iterable[ValueEvent]) -> set[str]:
    """The targets the thread and document creations among `events` name."""
    found = set()
    for event in events:
        if event.type == "thread.create" and event.content["on"].get("id") is not None:
            found.add(event.content["on"]["id"])
        elif event.type == "doc.create" and event.content.get("project") is not None:
            found.add(event.content["project"])
    return found


def added(events: Iterable[ValueEvent]) -> set[str]:
    """What `events` add that a thread or document may name: projects, tasks, claims."""
    kinds = {"project.create", "task.create", CLAIM}
    return {event.id for event in events if event.type in kinds}


@dataclass(frozen=True)
class Kept:
    """One space's collaboration state and what folding on needs: the position after the
    last event folded, the proposals the threads were judged with, and every target named."""

    state: CollabState
    after: int
    proposals: Mapping[str, Any]
    named: frozenset[str]


def advance(space: str, kept: Kept | None, suffix: Suffix) -> Kept | None:
    """`kept` with `suffix` folded on (how a `Folding` keeps collaboration state); None
    when everything has to be read again."""
    proposals = suffix.authority.proposals if suffix.authority is not None else {}
    events = [event for _, event in suffix.events if event.type != ERASE]
    if kept is None or suffix.start == 0:
        return _kept(fold(space, events, proposals), suffix, 0, proposals, named(events))
    erased = len(events) < len(suffix.events)
    if erased or suffix.start < kept.after or _retargeted(kept, events, proposals):
        return None
    state = folded(space, kept.state, events, proposals)
    new_names = named(events)
    names = kept.named | new_names if new_names else kept.named
    return _kept(state, suffix, kept.after, proposals, names)


def _retargeted(kept: Kept, events: list[ValueEvent], proposals: Mapping[str, Any]) -> bool:
    """Whether something an event already folded names appears or goes: a thread or
    document judged by it may now be judged otherwise."""
    changed = added(events)
    if proposals is not kept.proposals:
        changed |= set(proposals).symmetric_difference(kept.proposals)
    return not changed.isdisjoint(kept.named)


def _kept(
    state: CollabState, suffix: Suffix, after: int, proposals: Mapping[str, Any],
    names: frozenset[str] | set[str],
) -> Kept:  # fmt: skip
    last = suffix.events[-1][0] + 1 if suffix.events else after
    return Kept(state, last, proposals, frozenset(names))
