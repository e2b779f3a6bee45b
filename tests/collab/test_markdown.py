"""Members' Markdown renders to HTML with nothing a browser would run."""

from __future__ import annotations

import pytest

from collab.unsafe import unsafe
from p2pvalue.collab.markdown import clean, mentioned, render

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "![x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<div onmouseover="alert(1)">\n\n*raw block*\n\n</div>',
    '<a href="javascript:alert(1)">x</a> <svg onload=alert(1)>',
    '<iframe src="https://evil.example"></iframe>',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_member_script_survives_rendering(payload: str) -> None:
    assert unsafe(render(payload)) == []


@pytest.mark.parametrize("raw", [p for p in PAYLOADS if p.startswith("<")])
def test_the_checker_finds_the_raw_payloads(raw: str) -> None:
    assert unsafe(raw) != []


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("<p>hi<script>alert(1)</script></p>", "<p>hi</p>"),
        ('<img src="https://x.org/a.png" onerror="alert(1)">', '<img src="https://x.org/a.png">'),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="nofollow noopener noreferrer">x</a>'),
        ('<p onclick="alert(1)" style="x">y</p>', "<p>y</p>"),
        ("<iframe src=x></iframe><b>k</b>", "k"),
    ],
)
def test_the_sanitiser_strips_raw_html_the_parser_might_pass(raw: str, safe: str) -> None:
    assert clean(raw) == safe


def test_formatting_and_links_survive() -> None:
    assert render("**bold** [site](https://example.org)") == (
        '<p><strong>bold</strong> <a href="https://example.org" '
        'rel="nofollow noopener noreferrer">site</a></p>\n'
    )
    assert "<table>" in render("| a | b |\n|---|---|\n| 1 | 2 |")


def test_mentions_are_listed_once_in_order() -> None:
    text = "@bob, thanks! cc @carol.x. and @bob again; mail me at a@b.org"
    assert mentioned(text) == ["bob", "carol.x"]
