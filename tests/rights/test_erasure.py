"""The right to erasure on each backend: a member's profile and the content of their posts
and thread posts go, on this node and on every node the signed request reaches, while
every log still verifies and what others' records depend on (a thread others replied to,
accepted contributions) stays."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from p2pvalue.audit import verify
from p2pvalue.errors import EventError
from p2pvalue.events.event import build_event, parse_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.federation.signatures import NodeAuth
from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from web.client import PASSWORD, ApiClient, Member, error_code

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

ERASE = "/api/v1/accounts/me/erase"


@pytest.fixture
def api(node: Node) -> Iterator[ApiClient]:
    with TestClient(create_app(node)) as client:
        yield ApiClient(client)


def _ok(response: Any) -> str:
    assert response.status_code == 201, response.text
    created: str = response.json()["id"]
    return created


def _wire(api: ApiClient, event: str) -> dict[str, Any]:
    found: dict[str, Any] = api.http.get(f"/api/v1/events/{event}").json()["event"]
    return found


def _community(api: ApiClient) -> tuple[Member, Member, str, dict[str, str]]:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice, "Commons")
    _ok(api.act(bob, space, "member.join"))
    made = {"post": api.post(alice, space, "my phone number is 555-0100")}
    thread = {"on": {"kind": "space"}, "title": "Alice's plans", "text": "private plans"}
    made["thread"] = _ok(api.act(alice, space, "thread.create", thread))
    made["reply"] = _ok(api.act(bob, space, "thread.reply", {"thread": made["thread"],
                                                           "text": "bob answers"}))  # fmt: skip
    claim = {"kind": "docs", "description": "wrote the guide", "quantity": 3, "unit": "hours",
             "evidence": ["https://example.org/guide"]}  # fmt: skip
    made["claim"] = _ok(api.act(alice, space, "contribution.claim", claim))
    _ok(api.act(bob, space, "contribution.review", {"claim": made["claim"],
                                                    "verdict": "approve"}))  # fmt: skip
    profile = {"bio": {"value": "lives by the river", "visibility": "public"}}
    put = api.http.put("/api/v1/members/me/profile", json=profile, headers=alice.auth)
    assert put.status_code == 200, put.text
    return alice, bob, space, made


def test_erasure_takes_the_content_and_keeps_the_log_verifiable(api: ApiClient, node: Node) -> None:
    alice, _bob, space, made = _community(api)
    values = api.http.get(f"/api/v1/spaces/{space}/values").json()
    erased = api.http.post(ERASE, json={"password": PASSWORD}, headers=alice.auth)
    assert erased.status_code == 200, erased.text
    assert erased.json() == {"profile_fields": 1, "events": {space: 2}, "mail": 0}

    for event in ("post", "thread"):
        wire = _wire(api, made[event])
        assert "content" not in wire
        assert parse_event(wire).id == made[event]  # the envelope still verifies
    assert _wire(api, made["reply"])["content"]["text"] == "bob answers"
    assert _wire(api, made["claim"])["content"]["quantity"] == 3
    assert verify(node, space) is None
    assert api.http.get(f"/api/v1/spaces/{space}/values").json() == values
    thread = api.http.get(f"/api/v1/spaces/{space}/threads/{made['thread']}").json()
    assert (thread["title"], [p["source"] for p in thread["posts"]]) == (
        "[erased]", ["[erased]", "bob answers"])  # fmt: skip
    log = api.http.get(f"/api/v1/spaces/{space}/events", params={"limit": 500}).content
    assert b"555-0100" not in log and b"private plans" not in log
    if node.engine.dialect.name == "sqlite":
        with node.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert node.engine.url.database is not None
        assert b"555-0100" not in Path(node.engine.url.database).read_bytes()
    profile = api.http.get(f"/api/v1/members/{alice.did}/profile").json()
    assert "lives by the river" not in str(profile)


def test_only_the_author_may_ask_and_only_with_their_password(api: ApiClient) -> None:
    alice, bob, space, made = _community(api)
    before = api.count(space)
    theirs = api.act(bob, space, "content.erase", {"events": [made["post"]]})
    assert (theirs.status_code, error_code(theirs)) == (403, "not_erasable")
    figures = api.act(alice, space, "content.erase", {"events": [made["claim"]]})
    assert (figures.status_code, error_code(figures)) == (403, "not_erasable")
    wrong = api.http.post(ERASE, json={"password": "not my password"}, headers=alice.auth)
    assert (wrong.status_code, error_code(wrong)) == (401, "bad_credentials")
    assert api.count(space) == before
    assert "content" in _wire(api, made["post"])


def test_a_signed_erasure_from_another_node_is_honoured_for_its_author_only(
    api: ApiClient,
) -> None:
    _alice, _bob, space, made = _community(api)
    dan = KeyPair.generate()
    remote = NodeAuth(KeyPair.generate())
    prev, depth = api.tips(space)
    join = build_event(dan, "member.join", {}, space=space, prev=prev, depth=depth)
    post = build_event(dan, "post.create", {"text": "dan's secret"}, space=space,
                       prev=[join.id], depth=depth + 1)  # fmt: skip
    meddling = build_event(dan, "content.erase", {"events": [made["post"]]}, space=space,
                           prev=[post.id], depth=depth + 2)  # fmt: skip
    own = build_event(dan, "content.erase", {"events": [post.id]}, space=space,
                      prev=[meddling.id], depth=depth + 3)  # fmt: skip
    wires = [e.wire for e in (join, post, meddling, own)]
    body = {"from": "http://dan.example", "events": wires}
    pushed = api.http.post(f"/federation/v1/spaces/{space}/events", json=body, auth=remote)
    assert [o["status"] for o in pushed.json()["outcomes"]] == ["accepted"] * 4
    assert "content" not in _wire(api, post.id)
    assert _wire(api, made["post"])["content"]["text"] == "my phone number is 555-0100"


def test_only_erasable_types_may_travel_without_content() -> None:
    key = KeyPair.generate()
    post = build_event(key, "post.create", {"text": "hi"}, space="S" * 43, prev=["P" * 43],
                       depth=1).wire  # fmt: skip
    claim = build_event(key, "contribution.endorse", {"member": key.did, "weight": 1},
                        space="S" * 43, prev=["P" * 43], depth=1).wire  # fmt: skip
    for wire in (post, claim):
        del wire["content"]
    assert parse_event(post).erased
    with pytest.raises(EventError, match="missing field 'content'"):
        parse_event(claim)
    post["ts"] += 1
    with pytest.raises(EventError) as forged:
        parse_event(post)
    assert forged.value.code == "bad_signature"
