"""The pages in Spanish: for a Spanish browser, for the footer picker's choice, and for a
member who chose Spanish on their account page, which follows them to every browser they log
in from and wins over what the browser asks for."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from p2pvalue.web.i18n import COOKIE
from web.client import PASSWORD, ApiClient, Member

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def browsers(node: Node) -> Iterator[tuple[ApiClient, TestClient, TestClient]]:
    """An API client and two browsers of the same node, each with its own cookies."""
    app = create_app(node)
    with TestClient(app) as http, TestClient(app) as first, TestClient(app) as second:
        yield ApiClient(http), first, second


def _log_in(browser: TestClient, member: Member) -> None:
    logged = browser.post(
        "/login", data={"username": member.username, "password": PASSWORD},
        headers=ENGLISH, follow_redirects=False,
    )  # fmt: skip
    assert logged.status_code == 303, logged.text


def _prefer(browser: TestClient, language: str) -> None:
    """The browser's language cookie says `language`, as if picked before."""
    for cookie in list(browser.cookies.jar):
        if cookie.name == COOKIE:
            browser.cookies.delete(COOKIE, domain=cookie.domain, path=cookie.path)
    browser.cookies.set(COOKIE, language, domain="testserver.local")


def test_a_space_speaks_spanish_to_the_browser_and_to_the_picker(
    browsers: tuple[ApiClient, TestClient, TestClient],
) -> None:
    api, first, second = browsers
    founder = api.sign_up("ana")
    space = api.create_space(founder, "Huerto", membership="approval")
    english = first.get(f"/spaces/{space}", headers=ENGLISH)
    assert english.headers["content-language"] == "en"
    assert ">Timeline</h2>" in english.text and "<h2>Members</h2>" in english.text
    by_browser = first.get(f"/spaces/{space}", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert by_browser.headers["content-language"] == "es"
    assert ">Cronología</h2>" in by_browser.text and "<h2>Miembros</h2>" in by_browser.text
    assert "para unirte." in by_browser.text and "Timeline" not in by_browser.text
    _prefer(second, "es")
    by_cookie = second.get(f"/spaces/{space}/requests", headers=ENGLISH)
    assert by_cookie.headers["content-language"] == "es"
    assert "Solicitudes para unirse a Huerto" in by_cookie.text


def test_the_members_setting_follows_them_and_wins_over_the_browser(
    node: Node, browsers: tuple[ApiClient, TestClient, TestClient],
) -> None:  # fmt: skip
    api, first, second = browsers
    member = api.sign_up("bea")
    _log_in(first, member)
    assert first.get("/account", headers=ENGLISH).headers["content-language"] == "en"
    chose = first.post("/account/language", data={"language": "es"}, follow_redirects=False)
    assert chose.status_code == 303 and chose.headers["location"] == "/account?done=language"
    assert f"{COOKIE}=es" in chose.headers["set-cookie"]
    stored = node.accounts.by_username("bea")
    assert stored is not None and stored.language == "es"
    page = first.get("/account?done=language", headers=ENGLISH)
    assert page.headers["content-language"] == "es"
    assert "Tu idioma está guardado." in page.text and "<h1>Tu cuenta</h1>" in page.text
    assert '<option value="es" lang="es" selected>' in page.text

    # Another browser, English by its header and by the picker's cookie: logging in brings
    # the member's Spanish to it.
    _prefer(second, "en")
    logged = second.post(
        "/login", data={"username": "bea", "password": PASSWORD}, headers=ENGLISH,
        follow_redirects=False,
    )  # fmt: skip
    assert f"{COOKIE}=es" in logged.headers["set-cookie"]
    home = second.get("/", headers=ENGLISH)
    assert home.headers["content-language"] == "es" and "<h1>Espacios</h1>" in home.text

    # A browser whose cookie says English although the member chose Spanish (set before the
    # choice): the page is in Spanish, and the cookie is put right.
    _prefer(first, "en")
    stale = first.get("/messages", headers=ENGLISH)
    assert stale.headers["content-language"] == "es" and "Escribe a alguien" in stale.text
    assert f"{COOKIE}=es" in stale.headers["set-cookie"]

    # Back to the browser's choice: English again, and nothing left in the cookie.
    back = first.post("/account/language", data={"language": ""}, follow_redirects=False)
    assert f'{COOKIE}=""' in back.headers["set-cookie"]
    again = node.accounts.by_username("bea")
    assert again is not None and again.language is None
    english = first.get("/account", headers=ENGLISH)
    assert english.headers["content-language"] == "en" and "<h1>Your account</h1>" in english.text


def test_the_footer_picker_keeps_a_members_choice_on_their_account(
    node: Node, browsers: tuple[ApiClient, TestClient, TestClient],
) -> None:  # fmt: skip
    api, first, _second = browsers
    _log_in(first, api.sign_up("cai"))
    picked = first.post(
        "/language", data={"language": "es", "back": "/account"}, follow_redirects=False
    )
    assert picked.status_code == 303 and picked.headers["location"] == "/account"
    stored = node.accounts.by_username("cai")
    assert stored is not None and stored.language == "es"


def test_a_language_the_pages_are_not_in_is_refused(
    node: Node, browsers: tuple[ApiClient, TestClient, TestClient],
) -> None:  # fmt: skip
    api, first, _second = browsers
    _log_in(first, api.sign_up("dani"))
    refused = first.post("/account/language", data={"language": "xx"}, follow_redirects=False)
    assert refused.status_code == 422 and "xx" in refused.text
    stored = node.accounts.by_username("dani")
    assert stored is not None and stored.language is None
