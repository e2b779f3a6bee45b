"""The password form refused: each refusal is said next to its field in the reader's
language, the field marked invalid, and the other fields keep what was typed."""

from __future__ import annotations

from web.client import PASSWORD, ApiClient
from web.fields import refused

NEW = "a much longer secret"
SPANISH = {"Accept-Language": "es"}


def test_a_refused_password_change_is_said_by_its_field(api: ApiClient) -> None:
    api.sign_up("alice")
    api.http.post("/login", data={"username": "alice", "password": PASSWORD})
    at = "/account/password"
    typed = {"current": PASSWORD, "new": "short", "repeat": "short"}
    short = api.http.post(at, data=typed)
    assert short.status_code == 422
    said = refused(short.text, "new")
    assert (said.name, said.value, said.note) == ("new", "", "Use at least 10 characters.")
    assert f'value="{PASSWORD}"' in short.text

    long = "x" * 1025
    too_long = api.http.post(at, data={**typed, "new": long, "repeat": long})
    assert refused(too_long.text, "new").note == "Use at most 1024 characters."
    empty = api.http.post(at, data={**typed, "current": ""})
    assert refused(empty.text, "current").note == "Type your current password."

    wrong = api.http.post(at, data={"current": "not my password", "new": NEW, "repeat": NEW})
    assert wrong.status_code == 401
    said = refused(wrong.text, "current")
    assert said.note == "That is not your current password." and f'value="{NEW}"' in wrong.text

    same = api.http.post(at, data={"current": PASSWORD, "new": PASSWORD, "repeat": PASSWORD})
    note = "The new password is the one you have now: choose another."
    assert refused(same.text, "new").note == note

    spanish = api.http.post(at, data={**typed, "new": "alice", "repeat": "alice"}, headers=SPANISH)
    assert refused(spanish.text, "new").note == "Usa al menos 10 caracteres."
    differ = api.http.post(at, data={**typed, "new": NEW, "repeat": NEW + "!"}, headers=SPANISH)
    assert refused(differ.text, "repeat").note == "Las dos contraseñas nuevas no coinciden."
    assert f'value="{NEW}"' in differ.text
