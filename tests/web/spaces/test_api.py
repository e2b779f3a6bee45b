"""The JSON API under /api/v1: accounts, sessions, spaces, actions and the event log."""

from __future__ import annotations

import pytest

from p2pvalue.events.canonical import unb64u
from p2pvalue.events.event import parse_event
from p2pvalue.events.keys import KeyPair
from web.client import PASSWORD, ApiClient, error_code

UNKNOWN_ID = "A" * 43


def test_register_answers_name_and_a_fresh_did(api: ApiClient) -> None:
    created = api.http.post("/api/v1/accounts", json={"username": "alice", "password": PASSWORD})
    assert created.status_code == 201
    assert created.json()["username"] == "alice"
    assert created.json()["did"].startswith("did:key:z6Mk")


def test_register_refuses_a_taken_name(api: ApiClient) -> None:
    api.sign_up("alice")
    again = api.http.post("/api/v1/accounts", json={"username": "alice", "password": PASSWORD})
    assert (again.status_code, error_code(again)) == (409, "username_taken")


@pytest.mark.parametrize(
    ("username", "password", "code"),
    [
        ("Alice", PASSWORD, "invalid_username"),
        ("al", PASSWORD, "invalid_username"),
        ("-alice", PASSWORD, "invalid_username"),
        ("ali ce", PASSWORD, "invalid_username"),
        ("alice", "short", "weak_password"),
    ],
)
def test_register_refuses_bad_names_and_weak_passwords(
    api: ApiClient, username: str, password: str, code: str
) -> None:
    refused = api.http.post("/api/v1/accounts", json={"username": username, "password": password})
    assert (refused.status_code, error_code(refused)) == (422, code)
    login = api.http.post("/api/v1/sessions", json={"username": username, "password": password})
    assert login.status_code == 401


def test_login_gives_a_bearer_token_for_me(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    session = api.http.post("/api/v1/sessions", json={"username": "alice", "password": PASSWORD})
    assert session.status_code == 201
    assert session.json()["token_type"] == "bearer"
    me = api.http.get(
        "/api/v1/accounts/me", headers={"Authorization": f"Bearer {session.json()['token']}"}
    )
    assert me.status_code == 200
    assert me.json() == {"username": "alice", "did": alice.did}


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_login_refuses_wrong_password_and_unknown_user_alike(api: ApiClient, username: str) -> None:
    api.sign_up("alice")
    wrong = api.http.post("/api/v1/sessions", json={"username": username, "password": "wrong" * 3})
    assert (wrong.status_code, error_code(wrong)) == (401, "bad_credentials")
    assert "token" not in wrong.json()


def test_me_needs_a_token(api: ApiClient) -> None:
    anonymous = api.http.get("/api/v1/accounts/me")
    assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")


def test_me_refuses_an_unknown_token(api: ApiClient) -> None:
    api.sign_up("alice")
    forged = api.http.get("/api/v1/accounts/me", headers={"Authorization": "Bearer forged"})
    assert (forged.status_code, error_code(forged)) == (401, "bad_token")


def test_key_export_gives_the_seed_of_the_account_did(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    exported = api.http.post(
        "/api/v1/accounts/me/key", json={"password": PASSWORD}, headers=alice.auth
    )
    assert exported.status_code == 200
    assert exported.json()["did"] == alice.did
    assert KeyPair(unb64u(exported.json()["seed"])).did == alice.did


def test_key_export_requires_the_password_again(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    wrong = api.http.post(
        "/api/v1/accounts/me/key", json={"password": "not it at all"}, headers=alice.auth
    )
    assert (wrong.status_code, error_code(wrong)) == (401, "bad_credentials")
    missing = api.http.post("/api/v1/accounts/me/key", json={}, headers=alice.auth)
    assert (missing.status_code, error_code(missing)) == (422, "invalid_request")
    anonymous = api.http.post("/api/v1/accounts/me/key", json={"password": PASSWORD})
    assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")


def test_create_space_then_list_get_and_members(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    created = api.http.post(
        "/api/v1/spaces",
        json={"name": "Commons", "description": "a maker network"},
        headers=alice.auth,
    )
    assert created.status_code == 201
    space = created.json()["id"]
    assert created.json() == {"status": "accepted", "id": space, "space": space}
    listed = api.http.get("/api/v1/spaces").json()["spaces"]
    assert [(s["id"], s["name"]) for s in listed] == [(space, "Commons")]
    summary = api.http.get(f"/api/v1/spaces/{space}").json()
    assert summary["creator"] == alice.did
    assert (summary["description"], summary["membership"]) == ("a maker network", "open")
    assert (summary["events"], summary["accepted"]) == (1, 1)
    members = api.http.get(f"/api/v1/spaces/{space}/members").json()["members"]
    assert [(m["did"], m["status"], m["roles"]) for m in members] == [
        (alice.did, "member", ["admin", "member"])
    ]


def test_create_space_needs_a_login_and_a_known_policy(api: ApiClient) -> None:
    anonymous = api.http.post("/api/v1/spaces", json={"name": "Commons"})
    assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")
    alice = api.sign_up("alice")
    odd = api.http.post(
        "/api/v1/spaces", json={"name": "Commons", "membership": "lottery"}, headers=alice.auth
    )
    assert (odd.status_code, error_code(odd)) == (422, "invalid_request")
    assert api.http.get("/api/v1/spaces").json() == {"spaces": []}


def test_member_posts_and_a_joiner_becomes_a_member(api: ApiClient) -> None:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    posted = api.act(alice, space, "post.create", {"text": "hello"})
    assert posted.status_code == 201
    assert posted.json()["status"] == "accepted"
    assert api.act(bob, space, "member.join").status_code == 201
    assert api.act(bob, space, "post.create", {"text": "hi all"}).status_code == 201
    members = api.http.get(f"/api/v1/spaces/{space}/members").json()["members"]
    assert {m["did"]: m["roles"] for m in members} == {
        alice.did: ["admin", "member"],
        bob.did: ["member"],
    }
    assert [e["type"] for e in api.log(space)] == [
        "space.create", "post.create", "member.join", "post.create",
    ]  # fmt: skip


def test_non_member_post_is_refused_and_kept_as_rejected(api: ApiClient) -> None:
    alice, mallory = api.sign_up("alice"), api.sign_up("mallory")
    space = api.create_space(alice)
    refused = api.act(mallory, space, "post.create", {"text": "spam"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_authorized"
    assert refused.json()["error"]["reason"] == "not_a_member"
    assert refused.json()["status"] == "rejected"
    stored = api.http.get(f"/api/v1/events/{refused.json()['id']}").json()
    assert (stored["accepted"], stored["reason"], stored["author"]) == (
        False, "not_a_member", mallory.did,
    )  # fmt: skip
    listed = api.log(space)[-1]
    assert (listed["id"], listed["accepted"], listed["reason"]) == (
        refused.json()["id"], False, "not_a_member",
    )  # fmt: skip
    summary = api.http.get(f"/api/v1/spaces/{space}").json()
    assert (summary["events"], summary["accepted"]) == (2, 1)
    assert mallory.did not in {m["did"] for m in api.http.get(
        f"/api/v1/spaces/{space}/members").json()["members"]}  # fmt: skip


@pytest.mark.parametrize(
    ("type", "content", "code"),
    [
        ("proposal.teleport", {}, "unknown_event_type"),
        ("post.create", {}, "invalid_content"),
        ("post.create", {"text": "hi", "extra": 1}, "invalid_content"),
        ("post.create", {"text": 1.5}, "float_in_signed_content"),
    ],
)
def test_malformed_actions_store_nothing(
    api: ApiClient, type: str, content: dict[str, object], code: str
) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    refused = api.act(alice, space, type, content)
    assert (refused.status_code, error_code(refused)) == (422, code)
    assert api.count(space) == 1


def test_actions_need_a_login(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    anonymous = api.http.post(
        f"/api/v1/spaces/{space}/actions", json={"type": "post.create", "content": {"text": "x"}}
    )
    assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")
    assert api.count(space) == 1


def test_events_page_through_the_whole_log_in_order(api: ApiClient) -> None:
    alice, mallory = api.sign_up("alice"), api.sign_up("mallory")
    space = api.create_space(alice)
    for n in range(5):
        api.post(alice, space, f"post {n}")
    assert api.act(mallory, space, "post.create", {"text": "spam"}).status_code == 403
    everything = [e["id"] for e in api.log(space)]
    assert len(everything) == 7
    seen: list[dict[str, object]] = []
    pages = 0
    after: int | None = -1
    while after is not None:
        page = api.http.get(f"/api/v1/spaces/{space}/events", params={"after": after, "limit": 3})
        assert page.status_code == 200
        seen.extend(page.json()["events"])
        after = page.json()["next"]
        pages += 1
    assert pages == 3
    assert [e["position"] for e in seen] == list(range(7))
    assert [e["id"] for e in seen] == everything
    assert [e["accepted"] for e in seen] == [True] * 6 + [False]


def test_a_full_last_page_is_followed_by_an_empty_one(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    api.post(alice, space, "one")
    first = api.http.get(f"/api/v1/spaces/{space}/events", params={"limit": 2}).json()
    assert (len(first["events"]), first["next"]) == (2, 1)
    rest = api.http.get(f"/api/v1/spaces/{space}/events", params={"after": 1, "limit": 2}).json()
    assert rest == {"events": [], "next": None}


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"after": -2}, {"limit": "x"}])
def test_events_refuse_bad_paging(api: ApiClient, params: dict[str, object]) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    refused = api.http.get(f"/api/v1/spaces/{space}/events", params=params)
    assert (refused.status_code, error_code(refused)) == (422, "invalid_request")


def test_get_event_returns_the_signed_wire(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    post = api.post(alice, space, "hello")
    found = api.http.get(f"/api/v1/events/{post}")
    assert found.status_code == 200
    body = found.json()
    assert (body["id"], body["space"], body["type"]) == (post, space, "post.create")
    assert (body["author"], body["position"], body["accepted"]) == (alice.did, 1, True)
    assert parse_event(body["event"]).id == post
    assert body["event"]["content"] == {"text": "hello"}


def test_unknown_event_is_404(api: ApiClient) -> None:
    missing = api.http.get(f"/api/v1/events/{UNKNOWN_ID}")
    assert (missing.status_code, error_code(missing)) == (404, "unknown_event")


@pytest.mark.parametrize("suffix", ["", "/members", "/events"])
def test_unknown_space_is_404(api: ApiClient, suffix: str) -> None:
    missing = api.http.get(f"/api/v1/spaces/{UNKNOWN_ID}{suffix}")
    assert (missing.status_code, error_code(missing)) == (404, "unknown_space")


def test_acting_in_an_unknown_space_is_404(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    missing = api.act(alice, UNKNOWN_ID, "post.create", {"text": "hello"})
    assert (missing.status_code, error_code(missing)) == (404, "unknown_space")
