"""A private space through the API and the pages: its members and invitees see it, anyone
else gets 404 `unknown_space` for the space and for anything in it, lists and feeds leave
it out, and its signed events travel sealed while members read their content."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from web.client import PASSWORD, ApiClient, Member, error_code

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def api(sqlite_node: Node) -> Iterator[ApiClient]:
    with TestClient(create_app(sqlite_node)) as client:
        yield ApiClient(client)


def _garden(api: ApiClient) -> tuple[Member, Member, str, dict[str, str]]:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice, "Hidden Garden", membership="invite", private=True)
    made = {"post": api.post(alice, space, "the secret plan")}
    thread = {"on": {"kind": "space"}, "title": "Seeds", "text": "where the seeds are"}
    made["thread"] = api.act(alice, space, "thread.create", thread).json()["id"]
    task = {"title": "Water the beds"}
    made["task"] = api.act(alice, space, "task.create", task).json()["id"]
    return alice, bob, space, made


def test_only_members_see_a_private_space(api: ApiClient) -> None:
    alice, bob, space, made = _garden(api)
    paths = [
        f"/api/v1/spaces/{space}", f"/api/v1/spaces/{space}/events",
        f"/api/v1/spaces/{space}/members", f"/api/v1/events/{made['post']}",
        f"/api/v1/spaces/{space}/threads/{made['thread']}",
        f"/api/v1/spaces/{space}/tasks/{made['task']}",
        f"/spaces/{space}", f"/spaces/{space}/threads/{made['thread']}",
        f"/spaces/{space}/tasks/{made['task']}",
    ]  # fmt: skip
    for path in paths:
        assert api.http.get(path, headers=alice.auth).status_code == 200, path
        for headers in (bob.auth, {}):
            refused = api.http.get(path, headers=headers)
            assert refused.status_code == 404, path
            if path.startswith("/api/"):
                assert error_code(refused) == "unknown_space"
    acting = api.act(bob, space, "post.create", {"text": "let me in"})
    assert (acting.status_code, error_code(acting)) == (404, "unknown_space")
    assert api.http.put(f"/api/v1/me/follows/spaces/{space}", headers=bob.auth).status_code == 404

    def listed(member: Member | None) -> list[str]:
        headers = member.auth if member else {}
        found = api.http.get("/api/v1/spaces", headers=headers).json()["spaces"]
        return [s["name"] for s in found]

    assert listed(alice) == ["Hidden Garden"]
    assert listed(bob) == listed(None) == []

    # Invited, bob reads it all, history included.
    assert api.act(alice, space, "member.invite", {"member": bob.did}).status_code == 201
    assert listed(bob) == ["Hidden Garden"]
    found = api.http.get(f"/api/v1/events/{made['post']}", headers=bob.auth).json()
    assert found["content"] == {"text": "the secret plan"}
    assert set(found["event"]["content"]) == {"space_key", "ciphertext"}
    assert api.act(bob, space, "member.join").status_code == 201
    assert api.post(bob, space, "bob was here")


def test_a_feed_leaves_out_private_spaces_one_is_not_in(api: ApiClient) -> None:
    alice, bob, _, _ = _garden(api)
    public = api.create_space(alice, "Open Field")
    api.post(alice, public, "hello everyone")
    assert api.http.put(f"/api/v1/me/follows/members/{alice.did}", headers=bob.auth).is_success
    items = api.http.get("/api/v1/me/feed", headers=bob.auth).json()["items"]
    assert {item["space"] for item in items} == {public}


def test_the_home_page_founds_a_private_space(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    api.http.post("/login", data={"username": alice.username, "password": PASSWORD})
    created = api.http.post(
        "/spaces", data={"name": "Quiet Room", "private": "true"}, follow_redirects=False
    )
    assert created.status_code == 303, created.text
    space = created.headers["location"].rsplit("/", 1)[1]
    summary = api.http.get(f"/api/v1/spaces/{space}", headers=alice.auth).json()
    assert (summary["private"], summary["membership"]) == (True, "invite")
    page = api.http.get("/")
    assert "Quiet Room" in page.text and "private" in page.text
    api.http.post("/logout")
    assert "Quiet Room" not in api.http.get("/").text


def test_members_read_a_private_space_on_its_page_and_no_one_else_does(api: ApiClient) -> None:
    alice, bob, space, _ = _garden(api)
    page = api.http.get(f"/spaces/{space}", headers=alice.auth)
    timeline = page.text.split('id="timeline"', 1)[1]
    assert "the secret plan" in timeline and "Hidden Garden" in timeline
    assert "ciphertext" not in timeline
    for headers in (bob.auth, {}):
        refused = api.http.get(f"/spaces/{space}", headers=headers)
        assert refused.status_code == 404 and "the secret plan" not in refused.text
    assert api.act(alice, space, "member.invite", {"member": bob.did}).status_code == 201
    assert "the secret plan" in api.http.get(f"/spaces/{space}", headers=bob.auth).text
