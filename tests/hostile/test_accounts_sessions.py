"""A member takes their account back: changing the password (which ends every other
session and token), listing and ending sessions, logging out everywhere; and passwords
that everyone tries first are refused. Through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from hostile.accounts_fixtures import http_api_fixture  # noqa: F401
from web.client import PASSWORD, ApiClient, Member, error_code

ME = "/api/v1/accounts/me"
NEW = "a brand new passphrase"


def token(http_api: ApiClient, name: str, password: str = PASSWORD) -> dict[str, str]:
    session = http_api.http.post("/api/v1/sessions", json={"username": name, "password": password})
    assert session.status_code == 201, session.text
    return {"Authorization": f"Bearer {session.json()['token']}"}


def works(http_api: ApiClient, auth: dict[str, str]) -> bool:
    return bool(http_api.http.get(f"{ME}", headers=auth).status_code == 200)


def change(http_api: ApiClient, member: Member, current: str, new: str) -> httpx.Response:
    response: httpx.Response = http_api.http.post(
        f"{ME}/password", json={"current": current, "new": new}, headers=member.auth
    )
    return response


def test_a_password_change_revokes_every_other_session_and_token(http_api: ApiClient) -> None:
    alice = http_api.sign_up("alice")
    stolen = token(http_api, "alice")
    assert http_api.http.post("/login", data={"username": "alice", "password": PASSWORD}).is_success
    assert 'id="whoami">alice<' in http_api.http.get("/").text
    refused = change(http_api, alice, "not my password", NEW)
    assert (refused.status_code, error_code(refused)) == (401, "bad_credentials")
    changed = change(http_api, alice, PASSWORD, NEW)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"revoked": 2}  # the other token and the browser
    assert works(http_api, alice.auth)
    assert not works(http_api, stolen)
    assert 'id="whoami"' not in http_api.http.get("/").text
    old = http_api.http.post("/api/v1/sessions", json={"username": "alice", "password": PASSWORD})
    assert old.status_code == 401
    assert works(http_api, token(http_api, "alice", NEW))


def test_weak_and_common_passwords_are_refused_at_signup_and_change(http_api: ApiClient) -> None:
    alice = http_api.sign_up("alice")
    for weak, reason in [
        ("short one", "at least 10"),
        ("1234567890", "most common"),
        ("Password1234", "most common"),
        ("aaaaaaaaaaaa", "most common"),
    ]:
        refused = change(http_api, alice, PASSWORD, weak)
        assert (refused.status_code, error_code(refused)) == (422, "weak_password"), weak
        assert reason in refused.json()["error"]["message"]
        signup = http_api.http.post("/api/v1/accounts", json={"username": "bob", "password": weak})
        assert (signup.status_code, error_code(signup)) == (422, "weak_password"), weak
    same = change(http_api, alice, PASSWORD, PASSWORD)
    assert (same.status_code, error_code(same)) == (422, "same_password")
    page = http_api.http.post("/signup", data={"username": "bob", "password": "qwertyuiop"})
    assert page.status_code == 422
    assert 'id="password-error">This password is one of the most common ones' in page.text
    assert 'value="bob"' in page.text
    assert works(http_api, token(http_api, "alice"))


def test_sessions_are_listed_and_ended_one_by_one_by_their_owner_only(http_api: ApiClient) -> None:
    alice, bob = http_api.sign_up("alice"), http_api.sign_up("bob")
    laptop = token(http_api, "alice")
    listed = http_api.http.get(f"{ME}/sessions", headers=alice.auth)
    assert listed.status_code == 200
    sessions = listed.json()["sessions"]
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1
    assert {s["kind"] for s in sessions} == {"bearer"}
    other = next(s["id"] for s in sessions if not s["current"])
    assert "token" not in str(sessions) and laptop["Authorization"][7:] not in str(sessions)
    stranger = http_api.http.delete(f"{ME}/sessions/{other}", headers=bob.auth)
    assert (stranger.status_code, error_code(stranger)) == (404, "unknown_session")
    assert works(http_api, laptop)
    assert http_api.http.delete(f"{ME}/sessions/{other}", headers=alice.auth).status_code == 204
    assert not works(http_api, laptop)
    assert works(http_api, alice.auth)
    malformed = http_api.http.delete(f"{ME}/sessions/not-an-id", headers=alice.auth)
    assert malformed.status_code == 422


def test_logging_out_everywhere_ends_every_session_and_token(http_api: ApiClient) -> None:
    alice, bob = http_api.sign_up("alice"), http_api.sign_up("bob")
    phone = token(http_api, "alice")
    out = http_api.http.post(f"{ME}/logout-everywhere", headers=alice.auth)
    assert (out.status_code, out.json()) == (200, {"revoked": 2})
    assert not works(http_api, phone) and not works(http_api, alice.auth)
    assert works(http_api, bob.auth)


def test_the_account_page_changes_the_password_and_ends_sessions(http_api: ApiClient) -> None:
    alice = http_api.sign_up("alice")
    assert http_api.http.post("/login", data={"username": "alice", "password": PASSWORD}).is_success
    page = http_api.http.get("/account")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.text.count("data-session=") == 2 and "this browser" in page.text
    typed = {"current": "wrong password!", "new": NEW, "repeat": NEW}
    wrong = http_api.http.post("/account/password", data=typed)
    assert wrong.status_code == 401
    assert 'id="current-error">That is not your current password.<' in wrong.text
    assert f'value="{NEW}"' in wrong.text
    differ = http_api.http.post("/account/password", data={**typed, "current": PASSWORD,
                                                      "repeat": NEW + "!"})  # fmt: skip
    assert 'id="repeat-error">The two new passwords differ.<' in differ.text
    assert f'value="{PASSWORD}"' in differ.text
    common = {"current": PASSWORD, "new": "iloveyou12", "repeat": "iloveyou12"}
    weak = http_api.http.post("/account/password", data=common)
    assert weak.status_code == 422 and 'id="new-error">This password is one of' in weak.text
    done = http_api.http.post("/account/password", data={**typed, "current": PASSWORD})
    assert done.status_code == 200 and "Your password is changed." in done.text
    assert done.text.count("data-session=") == 1
    assert not works(http_api, alice.auth)
    out = http_api.http.post("/account/logout-everywhere", follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert http_api.http.get("/account", follow_redirects=False).headers["location"] == "/login"
