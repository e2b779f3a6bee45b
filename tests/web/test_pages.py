"""The pages over in-process HTTP: what the browser tests cannot see cheaply."""

from __future__ import annotations

from web.client import PASSWORD, ApiClient


def test_post_text_and_reflected_errors_are_escaped(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    api.post(alice, space, "<script>alert(1)</script>")
    page = api.http.get(f"/spaces/{space}", params={"error": '<img src=x onerror="alert(2)">'})
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;img src=x onerror=" in page.text
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text


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
