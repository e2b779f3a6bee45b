"""What in a piece of HTML a browser could run, found by parsing it as a browser would."""

from __future__ import annotations

from html.parser import HTMLParser

RUNNABLE = {"script", "iframe", "object", "embed", "svg", "math", "style", "div", "form"}
SAFE_SCHEMES = {"", "http", "https", "mailto"}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def unsafe(html: str) -> list[str]:
    """Script-like elements, event-handler attributes, and links or sources with a scheme
    other than http(s) or mailto; empty when the HTML is safe to show."""
    parser = _Elements()
    parser.feed(html)
    found = [tag for tag, _ in parser.found if tag in RUNNABLE]
    for tag, attrs in parser.found:
        for name, value in attrs:
            text = value or ""
            scheme = text.partition(":")[0].strip().lower() if ":" in text else ""
            if name.startswith("on") or (name in ("href", "src") and scheme not in SAFE_SCHEMES):
                found.append(f"{tag}[{name}={value}]")
    return found
