"""The social API over HTTP on each backend: profiles with per-field visibility, follows,
the paged feed, refusals with their codes; and the live feed as server-sent events read by
a real HTTP client from uvicorn while another request posts."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from p2pvalue.events.keys import KeyPair
from web.client import PASSWORD, ApiClient, Member, error_code


def _profile(api: ApiClient, who: Member, fields: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = api.http.put(
        f"/api/v1/members/{who.did}/profile", json=fields, headers=who.auth
    )
    return response


def test_profiles_show_each_viewer_their_share(api: ApiClient) -> None:
    ana, ben, cyd = api.sign_up("ana"), api.sign_up("ben"), api.sign_up("cyd")
    space = api.create_space(ana)
    assert api.act(ben, space, "member.join").status_code == 201
    saved = _profile(api, ana, {
        "display_name": {"value": "Ana", "visibility": "public"},
        "skills": {"value": ["solder"], "visibility": "members"},
        "bio": {"value": "only me"},
    })  # fmt: skip
    assert saved.status_code == 200, saved.text
    url = f"/api/v1/members/{ana.did}/profile"

    def fields(headers: dict[str, str]) -> list[str]:
        got = api.http.get(url, headers=headers)
        assert got.status_code == 200, got.text
        return sorted(got.json()["fields"])

    assert fields(ana.auth) == ["bio", "display_name", "skills"]
    assert fields(ben.auth) == ["display_name", "skills"]
    assert fields(cyd.auth) == ["display_name"]
    assert fields({}) == ["display_name"]
    mine = api.http.get("/api/v1/members/me/profile", headers=ana.auth).json()
    assert mine["username"] == "ana"
    assert mine["fields"]["bio"] == {"value": "only me", "visibility": "private"}

    erased = api.http.delete("/api/v1/members/me/profile", headers=ana.auth)
    assert erased.json() == {"erased": 3}
    assert fields(ana.auth) == []


def test_profile_refusals(api: ApiClient) -> None:
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    cases = [
        (ben.auth, ana.did, {"bio": {"value": "x"}}, 403, "not_your_profile"),
        (ana.auth, ana.did, {"avatar_url": {"value": "javascript:alert(1)"}}, 422,
         "url_scheme_not_allowed"),
        (ana.auth, ana.did, {"bio": {"value": "x" * 2001}}, 422, "profile_value_too_long"),
        (ana.auth, ana.did, {"age": {"value": 3}}, 422, "unknown_profile_field"),
        (ana.auth, ana.did, {"bio": {"value": "x", "visibility": "all"}}, 422, "bad_visibility"),
        ({}, ana.did, {"bio": {"value": "x"}}, 401, "not_authenticated"),
    ]  # fmt: skip
    for headers, did, body, status, code in cases:
        response = api.http.put(f"/api/v1/members/{did}/profile", json=body, headers=headers)
        assert (response.status_code, error_code(response)) == (status, code), body
    assert api.http.get(f"/api/v1/members/{ana.did}/profile").json()["fields"] == {}
    missing = api.http.get(f"/api/v1/members/{KeyPair.generate().did}/profile")
    assert (missing.status_code, error_code(missing)) == (404, "unknown_member")
    anonymous = api.http.get("/api/v1/members/me/profile")
    assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")


def test_follows_and_the_paged_feed(api: ApiClient) -> None:
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    space = api.create_space(ana, "Makers")
    posts = [api.post(ana, space, f"note {i}") for i in range(5)]
    followed = api.http.put(f"/api/v1/me/follows/spaces/{space}", headers=ben.auth)
    assert followed.json() == {"space": space, "following": True}
    assert api.http.put(f"/api/v1/me/follows/members/{ana.did}", headers=ben.auth).is_success
    assert api.http.get("/api/v1/me/follows", headers=ben.auth).json() == {
        "spaces": [space], "members": [ana.did]}  # fmt: skip
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"before": cursor} if cursor else {})}
        page = api.http.get("/api/v1/me/feed", params=params, headers=ben.auth).json()
        seen += page["items"]
        cursor = page["next"]
        if cursor is None:
            break
    assert [i["id"] for i in seen] == [*reversed(posts), space]
    assert seen[0]["summary"] == "note 4" and seen[0]["space_name"] == "Makers"
    stop = api.http.delete(f"/api/v1/me/follows/spaces/{space}", headers=ben.auth)
    assert stop.json()["stopped"] is True


def test_follow_and_feed_refusals(api: ApiClient) -> None:
    ana = api.sign_up("ana")
    cases = [
        (api.http.put, f"/api/v1/me/follows/spaces/{'S' * 43}", 404, "unknown_space"),
        (api.http.put, "/api/v1/me/follows/members/mallory", 422, "bad_did"),
        (api.http.put, f"/api/v1/me/follows/members/{ana.did}", 422, "cannot_follow_yourself"),
        (api.http.get, "/api/v1/me/feed?before=soon", 422, "bad_cursor"),
    ]
    for call, url, status, code in cases:
        response = call(url, headers=ana.auth)
        assert (response.status_code, error_code(response)) == (status, code), url
    anonymous = api.http.get("/api/v1/me/feed")
    assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")


def test_notifications_filter_by_kind_and_limit(api: ApiClient) -> None:
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    space = api.create_space(ana)
    assert api.act(ben, space, "member.join").status_code == 201
    text = {"on": {"kind": "space"}, "title": "Hello", "text": "welcome @ben"}
    post = api.act(ana, space, "thread.create", text).json()["id"]
    url = "/api/v1/me/notifications"
    mentions = api.http.get(url, params={"kind": "mention"}, headers=ben.auth).json()
    assert [(n["kind"], n["post"]) for n in mentions["notifications"]] == [("mention", post)]
    assert api.http.get(url, headers=ana.auth).json() == {"notifications": []}
    for params, code in (({"kind": "likes"}, "unknown_notification_kind"),
                         ({"limit": 201}, "invalid_request")):  # fmt: skip
        refused = api.http.get(url, params=params, headers=ben.auth)
        assert (refused.status_code, error_code(refused)) == (422, code)
    anonymous = api.http.get(url)
    assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")


def _sign_up(http: httpx.Client, name: str) -> dict[str, str]:
    body = {"username": name, "password": PASSWORD}
    assert http.post("/api/v1/accounts", json=body).status_code == 201
    token = http.post("/api/v1/sessions", json=body).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_live_feed_streams_new_items(site: str) -> None:
    with httpx.Client(base_url=site, timeout=10) as http:
        ana, ben = _sign_up(http, "ana"), _sign_up(http, "ben")
        space = http.post("/api/v1/spaces", json={"name": "Live"}, headers=ana).json()["id"]
        assert http.put(f"/api/v1/me/follows/spaces/{space}", headers=ben).is_success
        lines: list[str] = []
        ready, done = threading.Event(), threading.Event()

        def read() -> None:
            with (
                httpx.Client(base_url=site, timeout=10) as reader,
                reader.stream("GET", "/api/v1/me/feed/stream", headers=ben) as response,
            ):
                assert response.headers["content-type"].startswith("text/event-stream")
                for line in response.iter_lines():
                    lines.append(line)
                    ready.set()
                    if line.startswith('data: {"id"'):
                        done.set()
                        return

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        assert ready.wait(10)
        action = {"type": "post.create", "content": {"text": "live now"}}
        posted = http.post(f"/api/v1/spaces/{space}/actions", json=action, headers=ana)
        assert posted.status_code == 201
        assert done.wait(10), lines
        thread.join(10)
    assert "event: item" in lines
    item = lines[-1].removeprefix("data: ")
    assert '"summary":"live now"' in item and posted.json()["id"] in item
