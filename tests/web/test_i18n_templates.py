"""Every word a page shows goes through the catalogs: a template's own text nodes and
readable attributes are wrapped in `_()`, `ngettext` or `{% trans %}`, and a wrapped page
reads in Spanish to a Spanish reader."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

from p2pvalue.web import i18n
from web.client import ApiClient

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "p2pvalue" / "web" / "templates"
ALL = sorted(str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html"))
# The templates already wrapped; the rest are being wrapped and join this set as they are.
WRAPPED = {
    "base.html",
    "collab_board.html",
    "collab_doc.html",
    "collab_docs.html",
    "collab_macros.html",
    "collab_project.html",
    "collab_projects.html",
    "collab_task.html",
    "collab_thread.html",
    "collab_threads.html",
    "governance.html",
    "governance_charter.html",
    "member.html",
    "payout.html",
    "proposal.html",
    "proposal_after.html",
    "proposal_meeting.html",
    "proposal_new.html",
    "proposal_result.html",
    "proposal_vote.html",
    "proposal_what_if.html",
    "value.html",
    "what_if.html",
}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
READABLE = {"placeholder", "title", "alt", "aria-label"}
BRAND = "p2pvalue"
# What stands for a Jinja expression or tag once removed: no letters, and no new HTML.
HOLE = " "
# Attributes a macro writes into the tag that calls it: markup, not words.
ATTRIBUTES = re.compile(r'\s*([\w-]+="[^"]*"\s*)+')

_jinja = Environment(extensions=["jinja2.ext.i18n"])


def without_jinja(source: str) -> str:
    """The template's own HTML: its data, without `{% trans %}` blocks, expressions or tags."""
    html: list[str] = []
    tag: list[str] | None = None
    translating = False
    for _line, kind, value in _jinja.lex(source):
        if tag is not None:
            if kind == "block_end":
                words = [word for word in tag if word.strip()]
                if words and words[0] == "trans":
                    translating = True
                elif words and words[0] == "endtrans":
                    translating = False
                tag = None
            else:
                tag.append(value if kind == "name" else " ")
        elif kind == "block_begin":
            tag = []
            html.append(HOLE)
        elif kind == "data" and not translating:
            html.append(value)
        elif kind == "variable_begin":
            html.append(HOLE)
    return "".join(html)


class _Words(HTMLParser):
    """The text nodes and readable attributes of an HTML fragment that hold letters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skipping = 0
        self._kept: list[str] = []  # open elements marked translate="no"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping += 1
        named = dict(attrs)
        if named.get("translate") == "no":
            if tag not in VOID:
                self._kept.append(tag)
            return
        for name, value in attrs:
            submit = name == "value" and tag == "input" and named.get("type") == "submit"
            if (name in READABLE or submit) and value and _has_words(value):
                self.found.append(f'<{tag} {name}="{value}">')

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1
        if self._kept and self._kept[-1] == tag:
            self._kept.pop()

    def handle_data(self, data: str) -> None:
        if (
            not (self._skipping or self._kept)
            and _has_words(data)
            and not ATTRIBUTES.fullmatch(data)
        ):
            self.found.append(" ".join(data.split()))


def _has_words(text: str) -> bool:
    return any(char.isalpha() for char in text.replace(BRAND, ""))


def unwrapped(source: str) -> list[str]:
    """The words of a template that no reader of another language would see translated."""
    words = _Words()
    words.feed(without_jinja(source))
    words.close()
    return words.found


def test_the_lint_finds_bare_words_and_passes_wrapped_ones() -> None:
    bare = (
        '<p>Hello {{ name }}</p><input placeholder="Search"><img alt="{{ x }} logo">'
        '<input type="submit" value="Send"><span title="Tip">·</span>'
    )
    assert unwrapped(bare) == [
        "Hello",
        '<input placeholder="Search">',
        f'<img alt="{HOLE} logo">',
        '<input value="Send">',
        '<span title="Tip">',
    ]
    wrapped = (
        '<p>{{ _("Hello %(name)s", name=name) }} &middot; 3 — p2pvalue</p>'
        "{% trans n=2 %}Some <em>words</em>{% endtrans %}{# A comment #}"
        '<script>let a = "b";</script><style>p { color: red }</style>'
        '<input type="hidden" value="kept"><input placeholder="{{ _(\'Search\') }}">'
        "<option{% if on %} selected{% endif %}>{{ label }}</option>"
        '{% macro invalid() %} aria-invalid="true" aria-describedby="x-error"{% endmacro %}'
        '<input placeholder="did:key:z…" translate="no"><a translate="no">PrefLib</a>'
    )
    assert unwrapped(wrapped) == []


@pytest.mark.parametrize("template", ALL)
def test_a_templates_words_are_translatable(template: str) -> None:
    if template not in WRAPPED:
        pytest.skip("not wrapped yet")
    found = unwrapped((TEMPLATES / template).read_text())
    assert not found, f"words of {template} outside _() or {{% trans %}}: {found}"


def test_governance_speaks_spanish_to_a_spanish_browser(api: ApiClient) -> None:
    founder = api.sign_up("ana")
    space = api.create_space(founder, "Huerta")
    path = f"/spaces/{space}/governance"
    english = api.http.get(path, headers={"Accept-Language": "en", **founder.auth})
    spanish = api.http.get(path, headers={"Accept-Language": "es-ES,es;q=0.9", **founder.auth})
    assert english.status_code == spanish.status_code == 200
    assert "<h1>Governance</h1>" in english.text
    assert "<h1>Gobernanza</h1>" in spanish.text
    assert "Make a proposal" not in spanish.text and "Haz una propuesta" in spanish.text


def test_an_open_proposal_and_its_vote_form_read_in_spanish(api: ApiClient) -> None:
    ana = api.sign_up("ana")
    space = api.create_space(ana, "Huerta")
    made = api.http.post(
        f"/api/v1/spaces/{space}/proposals",
        json={"title": "Regar <los> lunes", "action": {"type": "text"}},
        headers=ana.auth,
    )
    assert made.status_code == 201, made.text
    spanish = api.http.get(
        f"/spaces/{space}/proposals/{made.json()['id']}",
        headers={"Accept-Language": "es", **ana.auth},
    )
    assert spanish.status_code == 200
    page = spanish.text
    assert "← Gobernanza de Huerta</a>" in page
    assert "Regar &lt;los&gt; lunes" in page and "Regar <los>" not in page
    assert "propuesta por ana el " in page and "la votación se cierra " in page
    assert "<h2>Tu voto</h2>" in page and '<button type="submit">Votar</button>' in page
    assert "Me abstengo" in page and "Cerrar y contar" in page
    for english in ("Your vote", "Abstain", "Close and count", "How it is decided"):
        assert english not in page


def test_a_word_with_two_meanings_is_translated_by_its_context(api: ApiClient) -> None:
    ana = api.sign_up("ana")
    space = api.create_space(ana, "Huerta")
    made = api.http.post(f"/api/v1/spaces/{space}/tasks", json={"title": "Oil"}, headers=ana.auth)
    assert made.status_code == 201, made.text
    path = f"/spaces/{space}/tasks/{made.json()['id']}"
    english = api.http.get(path, headers={"Accept-Language": "en", **ana.auth}).text
    spanish = api.http.get(path, headers={"Accept-Language": "es", **ana.auth}).text
    assert '<button type="submit">Claim</button>' in english
    assert '<button type="submit">Asumir</button>' in spanish
    assert i18n.catalog("es").gettext("Claim") == "Aportación"  # the claim a proposal settles
