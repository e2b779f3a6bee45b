"""Live documents as the log knows them: created by `doc.create`, measured by `doc.snapshot`.

The content of a document lives in its Yjs updates, not on the log (see `collab.live`);
what the log holds is that the document exists, and signed snapshots that name its state
and each author's share of it, so document work can be evidence for contribution claims.
`fold` and `check` are pure, as the board's are; `measure` reads a pycrdt document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pycrdt import Doc

from p2pvalue.collab import yframes
from p2pvalue.events.authority import Authority
from p2pvalue.events.authority import AuthorizedEvent as ValueEvent
from p2pvalue.wording import N_

DOC_TYPES = frozenset({"doc.create", "doc.snapshot"})
DOC_REFUSALS = {
    "unknown_document": N_("no such document in this space"),
    "read_only": N_("your role may read this document but not edit it"),
    "snapshot_unchanged": N_("the document has not changed since its last snapshot"),
}


@dataclass(frozen=True)
class Snapshot:
    event: str
    author: str
    ts: int
    state: str
    bytes: int
    units: int
    authors: Mapping[str, int]
    unattributed: int


@dataclass
class Document:
    id: str
    space: str
    title: str
    project: str | None
    creator: str
    ts: int
    snapshots: list[Snapshot] = field(default_factory=list)

    @property
    def latest(self) -> Snapshot | None:
        return self.snapshots[-1] if self.snapshots else None


@dataclass
class Documents:
    by_id: dict[str, Document] = field(default_factory=dict)
    void: dict[str, str] = field(default_factory=dict)


def fold(space: str, events: Iterable[ValueEvent], projects: Iterable[str]) -> Documents:
    """The documents of a space from its accepted document events, in order."""
    return folded(Documents(), space, events, projects)


def folded(
    documents: Documents, space: str, events: Iterable[ValueEvent], projects: Iterable[str]
) -> Documents:
    """`documents` with the document events among `events` (which follow the ones it
    holds) folded on, as new documents if any: `documents` and what it holds stay as they
    are."""
    mine = [event for event in events if event.type in DOC_TYPES]
    if not mine:
        return documents
    known = frozenset(projects)
    documents = Documents(dict(documents.by_id), dict(documents.void))
    for event in mine:
        reason = check(documents, event, known)
        if reason is not None:
            documents.void[event.id] = reason
        elif event.type == "doc.create":
            content = event.content
            documents.by_id[event.id] = Document(
                event.id, space, content["title"], content.get("project"), event.author,
                event.ts,
            )  # fmt: skip
        else:
            document = documents.by_id[event.content["doc"]]
            snapshots = [*document.snapshots, _snapshot(event)]
            documents.by_id[document.id] = replace(document, snapshots=snapshots)
    return documents


def reads(authority: Authority, did: str | None) -> bool:
    """Whether `did` (None: a visitor) may open the space's live documents: its members may,
    nobody else."""
    return did is not None and authority.is_member(did)


def check(documents: Documents, event: ValueEvent, projects: frozenset[str]) -> str | None:
    """None if the event may take effect, else why not."""
    if event.type == "doc.create":
        project = event.content.get("project")
        return None if project is None or project in projects else "unknown_project"
    return None if event.content["doc"] in documents.by_id else "unknown_document"


def _snapshot(event: ValueEvent) -> Snapshot:
    content = event.content
    return Snapshot(
        event.id, event.author, event.ts, content["state"], content["bytes"], content["units"],
        dict(content["authors"]), content.get("unattributed", 0),
    )  # fmt: skip


@dataclass(frozen=True)
class Measure:
    """A document's state and who wrote how much of its live content, ready to sign."""

    state: str
    bytes: int
    units: int
    authors: Mapping[str, int]
    unattributed: int

    def content(self, doc: str) -> dict[str, Any]:
        """The content of the `doc.snapshot` event that records this measure."""
        return {
            "doc": doc,
            "state": self.state,
            "bytes": self.bytes,
            "units": self.units,
            "authors": dict(sorted(self.authors.items())),
            "unattributed": self.unattributed,
        }


def measure(ydoc: Doc[Any], owners: Mapping[int, str]) -> Measure:
    """Measure `ydoc`: its state hash, encoded size, live units, and each author's live units
    by the member that owns each Yjs client id (`owners`); the rest is unattributed."""
    states = yframes.state_vector(ydoc.get_state())
    deleted = yframes.delete_set(ydoc.get_update(ydoc.get_state()))
    authors: dict[str, int] = {}
    unattributed = 0
    for client, units in yframes.live_units(states, deleted).items():
        if units <= 0:
            continue
        owner = owners.get(client)
        if owner is None:
            unattributed += units
        else:
            authors[owner] = authors.get(owner, 0) + units
    return Measure(
        yframes.state_hash(states, deleted), len(ydoc.get_update()),
        sum(authors.values()) + unattributed, authors, unattributed,
    )  # fmt: skip
