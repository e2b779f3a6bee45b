"""What Python words for the pages speaks the reader's language: Spanish under the Spanish
context, exactly English by default, with placeholders filled and what members typed
escaped; mail stays English."""

from __future__ import annotations

from typing import Any

from p2pvalue.domains import DOMAINS
from p2pvalue.governance.types import DecisionPolicy
from p2pvalue.insight import charts
from p2pvalue.social.notice_text import sentence
from p2pvalue.web import i18n
from p2pvalue.web.activity import Phrasebook
from p2pvalue.web.governance.explain import count_words
from p2pvalue.web.governance.words import policy_words
from p2pvalue.web.membership.charter_words import charter_words, template_charter
from p2pvalue.web.phrasing import Happening, Scene
from web.client import ApiClient

CAROL, BOB = "did:key:z6MkCarol", "did:key:z6MkBob"
NAMES = {CAROL: "carol", BOB: "bob"}
BOOK = Phrasebook.of(DOMAINS)


def told(type: str, author: str, known: tuple[Happening, ...] = (), **content: Any) -> str:
    held = {e.id: e for e in known}
    scene = Scene("S", lambda did: NAMES.get(did, did), held.get)
    line = BOOK.line(Happening("E1", type, author, "S", 0, content), scene)
    assert line is not None
    return str(line.sentence)


def test_activity_is_told_in_spanish_with_names_linked_and_typed_text_escaped() -> None:
    claim = Happening("C1", "contribution.claim", CAROL, "S", 0, {"description": "Arreglar"})
    with i18n.using("es"):
        founded = told("space.create", CAROL, name="<b>Gremio</b>")
        reviewed = told("contribution.review", BOB, (claim,), claim="C1", verdict="approve")
        erased = told("content.erase", BOB, events=["a", "b"])
    assert founded == (f'<a href="/members/{CAROL}">carol</a> fundó “&lt;b&gt;Gremio&lt;/b&gt;”')
    assert reviewed == (
        f'<a href="/members/{BOB}">bob</a> aprobó la aportación '
        f'<a href="/spaces/S/value#claim-C1">“Arreglar”</a> de <a href="/members/{CAROL}">carol</a>'
    )
    assert erased.endswith("borró 2 textos que había escrito")
    assert told("content.erase", BOB, events=["a"]).endswith(
        "bob</a> erased a text they had written"
    )


def test_the_language_comes_back_after_the_block() -> None:
    with i18n.using("es"):
        assert i18n.current() == "es"
        with i18n.using("klingon"):
            assert i18n.current() == "en"
    assert i18n.current() == "en"
    assert told("member.join", CAROL).endswith("carol</a> joined the space")


def test_a_policy_and_a_count_read_in_spanish() -> None:
    policy = DecisionPolicy(method="majority", window_hours=24)
    count = {"outcome": "passed", "figures": {"yes": "2/1", "no": "1/1", "cast": "3/1",
                                              "eligible": "4/1"}}  # fmt: skip
    with i18n.using("es"):
        rules = policy_words(policy)
        said = count_words(count, closed=True)
    assert rules[0] == "Se decide por votación por mayoría."
    assert "La votación está abierta 24 horas (1 día)." in rules
    assert said == "Aprobada: 2 sí, 1 no, con 3 de 4 votando."
    assert count_words(count, closed=True) == "Passed: 2 yes, 1 no, with 3 of 4 voting."


def test_a_charter_reads_in_spanish() -> None:
    with i18n.using("es"):
        sections = charter_words(template_charter("cooperative"))
    titles = [title for title, _lines in sections]
    assert titles == ["Quién puede unirse", "Quién puede hacer qué", "Cómo se toman las decisiones",
                      "Aportaciones y pagos"]  # fmt: skip
    assert "Una aportación cuenta cuando la aprueban otros 2 miembros." in sections[3][1]


def test_a_notification_reads_in_the_pages_language_and_mail_stays_english() -> None:
    note = {"kind": "vote_reminder", "title": "Pagar traducciones", "space_name": "Gremio",
            "closes_in_hours": 3}  # fmt: skip
    with i18n.using("es"):
        page = sentence(note, NAMES.__getitem__, private=False, gettext=i18n.gettext)
        mail = sentence(note, NAMES.__getitem__, private=False)
        hidden = sentence(note, NAMES.__getitem__, private=True, gettext=i18n.gettext)
    assert page == "Vota “Pagar traducciones” en Gremio: se cierra en 3 horas."
    assert mail == "Vote on “Pagar traducciones” in Gremio: it closes in 3 hours."
    assert hidden == "Una propuesta en un espacio privado se cierra pronto y todavía no has votado."


def test_a_charts_words_follow_the_pages_language_and_the_downloads_keep_english() -> None:
    with i18n.using("es"):
        page = charts.value_chart([], str, i18n.gettext)
        download = charts.value_chart([], str)
    assert (page.title, page.sentence) == (
        "Valor a lo largo del tiempo",
        "Todavía no se ha aceptado ningún valor.",
    )
    assert (download.title, download.sentence) == (
        "Value over time",
        "No value has been accepted yet.",
    )


def test_a_space_page_tells_its_activity_in_the_readers_language(api: ApiClient) -> None:
    ana = api.sign_up("ana")
    space = api.create_space(ana, "Gremio")
    api.post(ana, space, "Hola")
    spanish = api.http.get(f"/spaces/{space}", headers={"Accept-Language": "es"}).text
    english = api.http.get(f"/spaces/{space}", headers={"Accept-Language": "en"}).text
    assert ">ana</a> fundó “Gremio”" in spanish and ">ana</a> publicó" in spanish
    assert ">ana</a> founded “Gremio”" in english and ">ana</a> posted" in english
