"""The pages over in-process HTTP: what the browser tests cannot see cheaply."""

from __future__ import annotations

from web.client import PASSWORD, ApiClient


def test_post_text_is_escaped_and_the_url_cannot_plant_messages(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    api.post(alice, space, "<script>alert(1)</script>")
    page = api.http.get(f"/spaces/{space}", params={"error": "Re-enter your password at evil"})
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text
    assert "Re-enter your password" not in page.text


def test_a_refusal_is_shown_once_after_the_redirect(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    api.http.post("/login", data={"username": "alice", "password": PASSWORD})
    acted = api.http.post(f"/spaces/{space}/act", data={"type": "member.join"},
                          follow_redirects=False)  # fmt: skip
    assert (acted.status_code, acted.headers["location"]) == (303, f"/spaces/{space}")
    shown = api.http.get(f"/spaces/{space}")
    assert 'role="alert">already_a_member<' in shown.text.replace("\n", "")
    assert 'role="alert"' not in api.http.get(f"/spaces/{space}").text


def test_a_form_post_from_another_site_is_refused(api: ApiClient) -> None:
    api.sign_up("alice")
    api.http.post("/login", data={"username": "alice", "password": PASSWORD})
    forged = api.http.post("/spaces", data={"name": "Phish"},
                           headers={"origin": "https://evil.example"})  # fmt: skip
    assert forged.status_code == 403
    assert forged.json()["error"]["code"] == "cross_origin"
    cookie_only = api.http.post("/api/v1/spaces", json={"name": "Phish"})
    assert cookie_only.status_code == 401
    assert api.http.get("/api/v1/spaces").json()["spaces"] == []


def test_login_sets_a_strict_http_only_session_cookie(api: ApiClient) -> None:
    api.sign_up("alice")
    login = api.http.post(
        "/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False
    )
    assert (login.status_code, login.headers["location"]) == (303, "/")
    cookie = login.headers["set-cookie"].lower()
    assert cookie.startswith("p2pvalue_session=")
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    home = api.http.get("/")
    assert 'id="whoami">alice<' in home.text


def test_signup_refusal_is_shown_on_the_form(api: ApiClient) -> None:
    api.sign_up("alice")
    again = api.http.post("/signup", data={"username": "alice", "password": PASSWORD})
    assert again.status_code == 422
    assert 'role="alert"' in again.text
    assert "is taken" in again.text
    assert 'value="alice"' in again.text


def test_a_space_says_how_people_join_in_words_and_keeps_its_id_on_the_full_record(
    api: ApiClient,
) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice, membership="approval")
    api.post(alice, space, "Welcome")
    page = api.http.get(f"/spaces/{space}").text
    facts = page.split('id="space-facts">', 1)[1].split("</p>", 1)[0]
    assert facts == "New members join when a member approves them · 2 things have happened here"
    assert f">{space}<" not in page
    assert 'id="history-link">Full record</a> (for auditors)' in page
    spanish = api.http.get(f"/spaces/{space}", headers={"Accept-Language": "es"}).text
    assert "Se entra cuando un miembro lo aprueba · Aquí han pasado 2 cosas" in spanish
    record = api.http.get(f"/spaces/{space}/history").text
    assert (
        "2 events, 2 accepted · space id" in record and f'<code translate="no">{space}<' in record
    )
