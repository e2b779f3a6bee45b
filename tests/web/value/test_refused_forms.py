"""The endorse and what-if forms refused over in-process HTTP: what is wrong is said next to
the field in a member's words (422), with what was typed kept."""

from __future__ import annotations

from html import unescape

from web.client import PASSWORD, ApiClient
from web.fields import refused
from web.value.test_api import CLAIM


def _claimed(api: ApiClient) -> tuple[str, str]:
    """A space where bob claimed work, and alice logged in to the pages; the space and claim."""
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    assert api.act(bob, space, "member.join").status_code == 201
    claim: str = api.act(bob, space, "contribution.claim", CLAIM).json()["id"]
    api.http.post("/login", data={"username": alice.username, "password": PASSWORD})
    return space, claim


def equation_shown(page: str) -> str:
    """The equation the what-if form shows, untouched."""
    return unescape(page.split('spellcheck="false">', 1)[1].split("</textarea>", 1)[0])


def test_a_refused_endorsement_is_said_by_its_claim(api: ApiClient) -> None:
    space, claim = _claimed(api)
    at = f"/spaces/{space}/value/endorse"
    note = "clear " * 400
    answer = api.http.post(at, data={"claim": claim, "note": note})
    assert answer.status_code == 422
    said = refused(answer.text, f"endorse-{claim}")
    assert (said.name, said.value) == ("note", note)
    assert said.note == f"Keep it under 2000 characters (this is {len(note.strip())})."
    assert api.http.get(f"/api/v1/spaces/{space}/claims").json()["claims"][0]["endorsements"] == []

    assert api.http.post(at, data={"claim": claim, "note": "clear"}).status_code == 200
    again = api.http.post(at, data={"claim": claim, "note": "twice"})
    assert again.status_code == 422
    shown = unescape(again.text.split(f'id="endorse-{claim}-error">', 1)[1].split("<", 1)[0])
    assert shown == "This member already endorsed this claim."


def test_a_what_if_equation_that_cannot_be_read_is_said_next_to_it(api: ApiClient) -> None:
    space, _ = _claimed(api)
    at = f"/spaces/{space}/what-if"
    typed = '{"kinds": {"docs": {"weight": 2}\n'
    answer = api.http.post(at, data={"equation": typed})
    assert answer.status_code == 422
    said = refused(answer.text, "equation")
    assert said.value == typed
    assert said.note.startswith("This cannot be read as JSON: check the quotes, commas and braces")
    in_force = equation_shown(api.http.get(at).text)
    unknown = in_force.replace('"docs"', '"poetry"', 1)
    answer = api.http.post(at, data={"equation": unknown})
    said = refused(answer.text, "equation")
    assert said.value == unknown
    assert said.note.startswith("The equation values a kind of work the charter does not list")
    spanish = api.http.post(at, data={"equation": "[1]"}, headers={"Accept-Language": "es"})
    assert refused(spanish.text, "equation").note == "Escríbelo como un objeto JSON, entre { y }."
