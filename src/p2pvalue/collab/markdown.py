"""Members' Markdown as HTML that is safe to show to other members.

Raw HTML in the source is escaped by the parser, and the parser's output is sanitised
again with nh3 (Ammonia), so neither a parser quirk nor a future option lets a script,
an event handler or a `javascript:` link from one member run in another's browser.
"""

from __future__ import annotations

import re

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
_PARSER = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render(text: str) -> str:
    """The HTML of a member's Markdown, sanitised: only formatting tags, links and images
    over http(s) or mailto, and no attribute that runs code."""
    return clean(_PARSER.render(text))


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
