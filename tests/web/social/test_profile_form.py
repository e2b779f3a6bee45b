"""A refused profile edit comes back on the profile page, as typed, with what is wrong said
next to the field in a member's words; nothing of it is saved, and an accepted one is."""

from __future__ import annotations

from web.client import PASSWORD, ApiClient
from web.fields import refused

FIELDS = ("display_name", "bio", "avatar_url", "links", "skills")


def _signed_in(api: ApiClient) -> str:
    member = api.sign_up("ana")
    api.http.post("/login", data={"username": "ana", "password": PASSWORD})
    return member.did


def _form(**given: str) -> dict[str, str]:
    form = {field: "" for field in FIELDS} | {f"{f}_visibility": "public" for f in FIELDS}
    return form | given


def test_a_link_that_is_not_a_web_address_is_refused_by_its_field(api: ApiClient) -> None:
    did = _signed_in(api)
    links = "https://ana.example\njavascript:alert(1)"
    answer = api.http.post("/members/me/profile", data=_form(display_name="Ana Ruiz", links=links))
    assert answer.status_code == 422
    field = refused(answer.text, "profile-links")
    assert (field.name, field.value) == ("links", links)
    assert field.note == "Only addresses starting with https:// or http:// can be linked."
    assert 'value="Ana Ruiz"' in answer.text  # the other fields as typed, too
    assert "Ana Ruiz" not in api.http.get(f"/members/{did}").text  # nothing was saved


def test_a_name_too_long_says_how_long_it_may_be_and_a_good_profile_is_saved(
    api: ApiClient,
) -> None:
    did = _signed_in(api)
    answer = api.http.post("/members/me/profile", data=_form(display_name="A" * 500))
    assert answer.status_code == 422
    field = refused(answer.text, "profile-display_name")
    assert field.value == "A" * 500
    assert field.note.startswith("This is too long: at most ")
    assert field.note.removeprefix("This is too long: at most ").split()[0].isdigit()
    saved = api.http.post("/members/me/profile", data=_form(display_name="Ana Ruiz"))
    assert saved.status_code in (200, 303)
    assert "Ana Ruiz" in api.http.get(f"/members/{did}").text


def test_ones_own_empty_profile_invites_a_few_words(api: ApiClient) -> None:
    did = _signed_in(api)
    own = api.http.get(f"/members/{did}").text
    assert "You have not written a profile yet" in own and 'href="#profile-form"' in own
