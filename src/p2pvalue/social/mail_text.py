"""The mail a member gets about their notifications: one notification, or a digest of a
day's or a week's, each as plain text and HTML, ending with the links to their
preferences and to stop all mail. Pure: sentences, links and addresses in, text out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

MAX_SUBJECT = 150
PERIODS = {"daily": "today", "weekly": "this week"}
SETTINGS_PATH = "/notifications/settings"
UNSUBSCRIBE_PATH = "/notifications/unsubscribe"


@dataclass(frozen=True)
class Line:
    """One notification as mail shows it."""

    sentence: str
    link: str  # a path on the node


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


def unsubscribe_url(base: str, token: str) -> str:
    return f"{base}{UNSUBSCRIBE_PATH}?token={quote(token)}"


def one(line: Line, base: str, token: str) -> Mail:
    """The mail about one notification."""
    subject = _subject(line.sentence)
    text = f"{line.sentence}\n\nOpen it: {base}{line.link}\n"
    html = (
        f'<p>{escape(line.sentence)}</p>\n<p><a href="{escape(base + line.link)}">Open it</a></p>\n'
    )
    return _framed(subject, text, html, base, token)


def digest(lines: Sequence[Line], period: str, base: str, token: str) -> Mail:
    """The mail that gathers a period's notifications ("daily" or "weekly")."""
    count = len(lines)
    subject = f"{count} thing{'s' if count != 1 else ''} for you {PERIODS[period]} on p2pvalue"
    text = "".join(f"- {line.sentence}\n  {base}{line.link}\n" for line in lines)
    items = "".join(
        f'<li><a href="{escape(base + line.link)}">{escape(line.sentence)}</a></li>\n'
        for line in lines
    )
    return _framed(subject, text, f"<ul>\n{items}</ul>\n", base, token)


def _subject(sentence: str) -> str:
    line = " ".join(sentence.split())
    return line if len(line) <= MAX_SUBJECT else line[: MAX_SUBJECT - 1] + "…"


def _framed(subject: str, text: str, html: str, base: str, token: str) -> Mail:
    settings, stop = base + SETTINGS_PATH, unsubscribe_url(base, token)
    footer = (
        "\n--\nYou get this mail because you asked p2pvalue to tell you about these.\n"
        f"Choose what you get and how often: {settings}\n"
        f"Stop all mail: {stop}\n"
    )
    html_footer = (
        '<hr>\n<p style="color:#5b6b63;font-size:.85em">You get this mail because you asked '
        f'p2pvalue to tell you about these. <a href="{escape(settings)}">Choose what you get '
        f'and how often</a> · <a href="{escape(stop)}">Stop all mail</a></p>\n'
    )
    page = (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>\n<body>\n{html}{html_footer}</body></html>\n"
    )
    return Mail(subject, text + footer, page)
