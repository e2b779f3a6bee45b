"""Activity in sentences about people: any event of any registered domain told as
"Carol claimed “Fix the login bug” — 3 h of code", with members' names (as `web.naming`
gives them to the reader) linked to their profiles, links to what it is about, and a
member's Markdown rendered (sanitised).

The kernel's phrases live in `web.spaces.activity`; each domain names its own in
`Domain.activity`. The raw events stay on a space's history page, for auditors.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import import_module
from typing import Any

from fastapi import Request
from markupsafe import Markup

from p2pvalue.collab.markdown import render as markdown
from p2pvalue.domain import Domain
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority
from p2pvalue.events.event import EVENT_ID
from p2pvalue.node import Node
from p2pvalue.store.events import StoredEvent
from p2pvalue.store.social import FeedRow
from p2pvalue.web.i18n import markup
from p2pvalue.web.layout import space_authority
from p2pvalue.web.naming import names_of
from p2pvalue.web.phrasing import Happening, Line, Phrase, Scene

# Found by path as the domains' phrases are (the spaces' pages import this module).
KERNEL = "p2pvalue.web.spaces.activity"
MAX_LISTED = 50  # items of a content's list looked at for the events and members it names
DID = "did:"


@dataclass(frozen=True)
class Told:
    """An event as an activity list shows it: the sentence, the member's text as HTML."""

    happening: Happening
    sentence: Markup
    html: Markup | None


def _unknown(e: Happening, s: Scene) -> Line:
    return Line(markup("%(who)s did something this node has no words for yet", who=s.who(e.author)))


class Phrasebook:
    """Every event type's phrase: the kernel's and each registered domain's."""

    def __init__(self, phrases: Mapping[str, Phrase]) -> None:
        self._phrases = dict(phrases)

    @classmethod
    def of(cls, domains: Iterable[Domain[Any]]) -> Phrasebook:
        """The phrases of the kernel and of the `activity` modules the domains name."""
        phrases: dict[str, Phrase] = {}
        for path in (KERNEL, *(path for domain in domains for path in domain.activity)):
            module, _, attribute = path.partition(":")
            phrases |= getattr(import_module(module), attribute or "PHRASES")
        return cls(phrases)

    def knows(self, type: str) -> bool:
        return type in self._phrases

    def line(self, happening: Happening, scene: Scene) -> Line | None:
        """The event told in `scene`, or None for bookkeeping nobody needs to read."""
        return self._phrases.get(happening.type, _unknown)(happening, scene)


def happening(event: StoredEvent) -> Happening:
    """A stored event as activity reads it (the opened content of a sealed one)."""
    content = event.content if event.content is not None else event.wire.get("content") or {}
    return Happening(event.id, event.type, event.author, event.space, event.ts, content)


def happenings(rows: Iterable[FeedRow]) -> list[Happening]:
    """Rows of the feed's query as activity reads them."""
    return [Happening(r.id, r.type, r.author, r.space, r.ts, r.content) for r in rows]


def mentioned_strings(content: Mapping[str, Any]) -> Iterator[str]:
    """The strings an event's content holds where phrases look for what it refers to (an
    event's id, a member's did): its fields, the items of its lists and the fields of those
    items, at most `MAX_LISTED` items a list."""
    for value in content.values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for entry in value[:MAX_LISTED]:
                if isinstance(entry, str):
                    yield entry
                elif isinstance(entry, dict):
                    yield from (v for v in entry.values() if isinstance(v, str))


def short_name(did: str) -> str:
    """How a member without an account here is named: the start and end of their did."""
    return f"{did[:16]}…{did[-6:]}"


class Teller:
    """Tells events of this node to `reader` (None: a visitor), looking up names, referred
    events and each space's governance state once each: those the events' contents name are
    read together before telling, so that a page of many events costs no more queries than
    a page of one."""

    def __init__(
        self, node: Node, book: Phrasebook, reader: str | None, names: Mapping[str, str] = {}
    ) -> None:
        """`names`: how members are named to `reader` (`web.naming.names_of`), for the dids
        the caller looked up already."""
        self._node, self._book, self._reader = node, book, reader
        self._names: dict[str, str] = dict(names)
        self._events: dict[str, Happening | None] = {}
        self._authorities: dict[str, Authority | None] = {}

    def learn(self, dids: Iterable[str]) -> None:
        """Look up at once the names of `dids` not known yet, as the reader sees them."""
        unknown = {did for did in dids if did not in self._names}
        if unknown:
            found = names_of(self._node, unknown, self._reader)
            self._names |= {did: found.get(did) or short_name(did) for did in unknown}

    def prefetch(self, events: Sequence[Happening]) -> None:
        """Read at once the events and members' names that telling `events` may ask for."""
        for event in events:
            self._events.setdefault(event.id, event)
        named = [s for e in events for s in mentioned_strings(e.content)]
        wanted = {s for s in named if EVENT_ID.fullmatch(s) and s not in self._events}
        if wanted:
            found = self._node.directory.events_by_id(wanted)
            for event_id in wanted:
                stored = found.get(event_id)
                self._events[event_id] = happening(stored) if stored is not None else None
        referred = [e for e in self._events.values() if e is not None]
        dids = {e.author for e in referred} | {s for s in named if s.startswith(DID)}
        dids |= {s for e in referred for s in mentioned_strings(e.content) if s.startswith(DID)}
        self.learn(dids)

    def name(self, did: str) -> str:
        self.learn([did])
        return self._names[did]

    def about(self, space: str, event_id: str) -> Happening | None:
        if event_id not in self._events:
            try:
                self._events[event_id] = happening(self._node.event(event_id))
            except P2PError:
                self._events[event_id] = None
        found = self._events[event_id]
        return found if found is not None and found.space == space else None

    def authority(self, space: str) -> Authority | None:
        if space not in self._authorities:
            self._authorities[space] = space_authority(self._node, space)
        return self._authorities[space]

    def tell(self, events: Sequence[Happening]) -> list[Told]:
        """The events told, in the order given, without the untold bookkeeping."""
        told: list[Told] = []
        self.prefetch(events)
        for event in events:
            scene = Scene(event.space, self.name, partial(self.about, event.space),
                          self._reader, partial(self.authority, event.space))  # fmt: skip
            line = self._book.line(event, scene)
            if line is not None:
                html = Markup(markdown(line.text)) if line.text else None
                told.append(Told(event, line.sentence, html))
        return told


def tell(
    request: Request, node: Node, events: Sequence[StoredEvent | Happening],
    reader: str | None, names: Mapping[str, str] = {},
) -> list[Told]:  # fmt: skip
    """Events of this node told as activity to `reader` (None: a visitor), in the order
    given (see `Teller.tell`); `names`, how the members the caller looked up already are
    named to them."""
    book: Phrasebook = request.app.state.phrasebook
    happenings = [e if isinstance(e, Happening) else happening(e) for e in events]
    return Teller(node, book, reader, names).tell(happenings)
