"""The pages in the reader's language: the shipped catalogs are complete, and the language
comes from the reader's choice, else their browser, else English."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from p2pvalue.web import i18n
from web.client import ApiClient

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "p2pvalue"
METHODS = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
OPTIONS = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def extracted() -> set[str]:
    """Every message the sources ask to translate, as `scripts/translations` extracts them."""
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        SOURCES, METHODS, OPTIONS, KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", [code for code in i18n.LANGUAGES if code != i18n.DEFAULT])
def test_every_message_is_translated(language: str) -> None:
    with (i18n.LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    wanted = extracted()
    assert "Log out" in wanted
    shipped = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    missing = sorted(wanted - set(shipped))
    assert not missing, f"not in the {language} catalog (run scripts/translations): {missing}"
    untranslated = sorted(
        key for key, m in shipped.items() if key in wanted and (m.fuzzy or not m.string)
    )
    assert not untranslated, f"untranslated or fuzzy in {language}: {untranslated}"
    problems = [(m.id, errors) for m, errors in catalog.check()]
    assert not problems, f"placeholders that do not match in {language}: {problems}"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("es-419", "es"),
        ("fr-FR,es;q=0.5,en;q=0.4", "es"),
        ("fr-FR,en;q=0.9,es;q=0.8", "en"),
        ("de", "en"),
        ("", "en"),
        ("es;q=abc, ;;, en;q=0", "en"),
        ("es;q=0,en", "en"),
    ],
)
def test_the_browser_picks_the_language(header: str, expected: str) -> None:
    assert i18n.chosen(None, header) == expected


def test_the_readers_choice_wins_over_the_browser() -> None:
    assert i18n.chosen("en", "es") == "en"
    assert i18n.chosen("es", "en") == "es"
    assert i18n.chosen("klingon", "es") == "es"


def test_a_page_speaks_spanish_to_a_spanish_browser(api: ApiClient) -> None:
    english = api.http.get("/login", headers={"Accept-Language": "en"})
    spanish = api.http.get("/login", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert english.headers["content-language"] == "en"
    assert spanish.headers["content-language"] == "es"
    assert '<html lang="es">' in spanish.text and '<html lang="en">' in english.text
    assert ">Crear cuenta</a>" in spanish.text and ">Sign up</a>" in english.text


def test_the_picker_remembers_the_choice_and_stays_on_this_site(api: ApiClient) -> None:
    chose = api.http.post(
        "/language", data={"language": "es", "back": "/login"}, follow_redirects=False
    )
    assert chose.status_code == 303 and chose.headers["location"] == "/login"
    assert "p2pvalue_lang=es" in chose.headers["set-cookie"]
    page = api.http.get("/login", headers={"Accept-Language": "en"})
    assert page.headers["content-language"] == "es"
    for elsewhere in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        away = api.http.post(
            "/language", data={"language": "en", "back": elsewhere}, follow_redirects=False
        )
        assert away.headers["location"] == "/"
