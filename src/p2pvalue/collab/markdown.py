"""Members' Markdown as HTML that is safe to show to other members.

Raw HTML in the source is escaped by the parser, and the parser's output is sanitised
again with nh3 (Ammonia), so neither a parser quirk nor a future option lets a script,
an event handler or a `javascript:` link from one member run in another's browser.

Rendering is bounded, since any member's text is rendered for every reader: a text is
rendered once and then served from a cache keyed by its hash, and a text the parser could
spend long on (longer than `MAX_MARKDOWN` characters or `MAX_LINES` lines, or with more
markup characters than `MAX_MARKS`, or more brackets than `MAX_BRACKETS`, where the
parser's link search is quadratic) is shown as plain text, its paragraphs kept.
bench/render.py measures the worst.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
from collections import OrderedDict

import nh3
from markdown_it import MarkdownIt

TAGS = frozenset(
    {"p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li",
     "a", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
     "img"}
)  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
SCHEMES = frozenset({"http", "https", "mailto"})
MENTION = re.compile(r"(?<![\w@./-])@([a-z0-9][a-z0-9_.-]{2,39})")
_PARSER = MarkdownIt("commonmark", {"html": False, "maxNesting": 20}).enable(
    ["table", "strikethrough"]
)
MAX_MARKDOWN = 8000
MAX_MARKS = 600
MAX_BRACKETS = 100
MAX_LINES = 200
MARKS = re.compile(r"[\[\]()<>*_`!\\~|&#:]")
BRACKETS = re.compile(r"[\[\]]")
CACHED = 512


class _Rendered:
    """The HTML of texts already rendered, the least recently shown forgotten first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._html: OrderedDict[bytes, str] = OrderedDict()

    def get(self, key: bytes) -> str | None:
        with self._lock:
            found = self._html.get(key)
            if found is not None:
                self._html.move_to_end(key)
            return found

    def clear(self) -> None:
        with self._lock:
            self._html.clear()

    def put(self, key: bytes, rendered: str) -> None:
        with self._lock:
            self._html[key] = rendered
            while len(self._html) > self._size:
                self._html.popitem(last=False)


_RENDERED = _Rendered(CACHED)


def render(text: str) -> str:
    """The HTML of a member's Markdown, sanitised: only formatting tags, links and images
    over http(s) or mailto, and no attribute that runs code. Bounded in time: see above."""
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).digest()
    found = _RENDERED.get(key)
    if found is None:
        found = clean(_PARSER.render(text)) if renders_as_markdown(text) else plain(text)
        _RENDERED.put(key, found)
    return found


def forget_rendered() -> None:
    """Empty the cache of rendered texts (for measuring a first render)."""
    _RENDERED.clear()


def renders_as_markdown(text: str) -> bool:
    """Whether `text` is within the bounds in which the parser is fast."""
    if len(text) > MAX_MARKDOWN or text.count("\n") >= MAX_LINES:
        return False
    return len(BRACKETS.findall(text)) <= MAX_BRACKETS and len(MARKS.findall(text)) <= MAX_MARKS


def plain(text: str) -> str:
    """`text` as escaped paragraphs, its line breaks kept: what a text too costly to parse
    as Markdown is shown as."""
    paragraphs = (p.strip("\n") for p in re.split(r"\n\s*\n", text))
    return "".join(
        "<p>" + html.escape(p, quote=False).replace("\n", "<br>\n") + "</p>\n"
        for p in paragraphs if p
    )  # fmt: skip


def clean(html: str) -> str:
    """`html` with every tag, attribute and URL scheme outside the allowed sets removed."""
    return nh3.clean(
        html, tags=set(TAGS), attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        url_schemes=set(SCHEMES), link_rel="nofollow noopener noreferrer",
    )  # fmt: skip


def mentioned(text: str) -> list[str]:
    """The usernames a text mentions as `@name`, each once, in the order they first appear."""
    found = (name.rstrip(".") for name in MENTION.findall(text))
    return list(dict.fromkeys(name for name in found if len(name) >= 3))
