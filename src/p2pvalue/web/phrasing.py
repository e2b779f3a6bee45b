"""What a domain's activity phrasing is given and gives back: an event as it happened, the
scene it is told in (members' names linked to their profiles, the events it refers to),
and the line it is told as.

A domain names its phrasing module in `Domain.activity`; the module's `PHRASES` maps each
of its event types to a `Phrase`. `web.activity` gathers them and tells any event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from p2pvalue.accounting.money import format_amount
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority

MAX_QUOTE = 80


@dataclass(frozen=True)
class Happening:
    """An event as activity tells it: who did what, where and when."""

    id: str
    type: str
    author: str
    space: str
    ts: int
    content: Mapping[str, Any]


@dataclass(frozen=True)
class Line:
    """An event told: a sentence about people (HTML, everything typed escaped), where it
    points, and the member's own Markdown text when the event carries one."""

    sentence: Markup
    text: str | None = None


Rule = Callable[[Authority, str | None], bool]
"""Whether a member (None: a visitor) may do something, by a space's governance state."""


def _nothing_known() -> Authority | None:
    return None


class Scene:
    """What a phrase may ask while telling events of one space to one reader: names, links,
    the events an event refers to (a review's claim, a reply's thread), and what the reader
    may open (`reads`; nothing, unless the scene knows the space's governance state)."""

    def __init__(
        self, space: str, names: Callable[[str], str], about: Callable[[str], Happening | None],
        reader: str | None = None, authority: Callable[[], Authority | None] = _nothing_known,
    ) -> None:  # fmt: skip
        self.space = space
        self.reader = reader
        self._names = names
        self._about = about
        self._authority = authority

    def name(self, did: str) -> str:
        return self._names(did)

    def who(self, did: str) -> Markup:
        """A member's name, linked to their profile in the space."""
        return self.link(f"/members/{quote(did, safe=':')}", self.name(did))

    def whose(self, did: str) -> Markup:
        """A member's name in the possessive: "Carol's"."""
        return Markup("{}'s").format(self.who(did))

    def link(self, path: str, text: str | Markup) -> Markup:
        """A link to `path` under the space (absolute when it starts with /members/)."""
        href = path if path.startswith("/members/") else f"/spaces/{self.space}{path}"
        return Markup('<a href="{}">{}</a>').format(href, text)

    def about(self, event_id: object) -> Happening | None:
        """The event `event_id` names in this space, if this node holds it."""
        return self._about(event_id) if isinstance(event_id, str) else None

    def reads(self, rule: Rule) -> bool:
        """Whether the reader may open what `rule` guards in this space: a phrase links only
        what its reader can open."""
        authority = self._authority()
        return authority is not None and rule(authority, self.reader)


def quoted(text: object, limit: int = MAX_QUOTE) -> str:
    """A member's text in quotes, on one line and shortened: “Fix the login bug”."""
    line = " ".join(str(text or "").split())
    if len(line) > limit:
        line = line[: limit - 1] + "…"
    return f"“{line}”"


def money(minor: object, currency: object) -> str:
    """An amount in minor units as a member reads it: '12.50 EUR'."""
    try:
        return format_amount(int(str(minor)), str(currency))
    except (P2PError, ValueError):
        return f"{minor} {currency}"


Phrase = Callable[[Happening, Scene], Line | None]
