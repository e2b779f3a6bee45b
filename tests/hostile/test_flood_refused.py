"""An account, a key or a node that keeps sending events the log refuses (a non-member
posting into a space): it is slowed down with 429, its text is never shown as a space's
content, and its rejected events stay here, for audit, unless an accepted event comes to
descend from one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import LIGHT_HASHING
from hostile.flooding import RemoteNode, client, living_here, retry_after, signed
from p2pvalue.config import Rate, RateLimits, init_data_dir
from p2pvalue.events.event import build_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.node import Node
from p2pvalue.store.schema import outbox
from web.client import PASSWORD, ApiClient

SPAM = "BUY-CHEAP-TOKENS"
TIGHT = RateLimits(refused_per_author=Rate(3, 6), refused_per_node=Rate(3, 6))


@pytest.fixture
def api(tmp_path: Path, database_url: str | None) -> Iterator[ApiClient]:
    """A node with a public URL (so its space has peers), with tight refusal limits."""
    config = init_data_dir(tmp_path / "node", database_url, "http://north.example")
    with Node(config, password_hasher=LIGHT_HASHING) as node, client(node, TIGHT) as api:
        yield api


def test_an_account_whose_posts_keep_being_rejected_is_slowed_down(api: ApiClient) -> None:
    alice, mallory = api.sign_up("alice"), api.sign_up("mallory")
    space = api.create_space(alice)
    before = api.count(space)
    statuses = [api.act(mallory, space, "post.create", {"text": SPAM}) for _ in range(4)]
    assert [s.status_code for s in statuses[:3]] == [403] * 3
    assert retry_after(statuses[3]) >= 1
    assert statuses[3].json()["error"]["code"] == "rate_limited"
    assert api.count(space) == before + 3  # the fourth was not even stored
    assert api.act(alice, space, "post.create", {"text": "still here"}).status_code == 201


def test_submitted_events_by_keys_of_no_member_spend_the_submitters_allowance(
    api: ApiClient,
) -> None:
    alice, mallory = api.sign_up("alice"), api.sign_up("mallory")
    space = api.create_space(alice)
    fresh_keys = [signed(api, KeyPair.generate(), space, "post.create", {"text": SPAM})
                  for _ in range(3)]  # fmt: skip
    batch = api.submit(fresh_keys, as_member=mallory)
    assert [r["status"] for r in batch.json()["results"]] == ["rejected"] * 3
    again = api.submit(signed(api, KeyPair.generate(), space, "post.create", {"text": SPAM}),
                       as_member=mallory)  # fmt: skip
    assert retry_after(again) >= 1


def test_a_node_whose_pushes_keep_being_rejected_is_slowed_down(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    flood, honest = RemoteNode(api, "http://flood.example"), RemoteNode(api)
    living_here(api, space, flood)
    member = living_here(api, space, honest)
    for _ in range(3):
        rejected = flood.push(space, [signed(api, KeyPair.generate(), space, "role.grant",
                                             {"member": alice.did, "role": "admin"})])  # fmt: skip
        assert rejected.json()["outcomes"][0]["status"] == "rejected"
    assert retry_after(flood.push(space, [])) >= 1
    post = honest.push(space, [signed(api, member, space, "post.create", {"text": "hi"})])
    assert post.json()["outcomes"][0]["status"] == "accepted"


def test_rejected_text_is_not_shown_on_the_timeline(api: ApiClient) -> None:
    alice, mallory = api.sign_up("alice"), api.sign_up("mallory")
    space = api.create_space(alice)
    api.post(alice, space, "welcome")
    rejected = api.act(mallory, space, "post.create", {"text": SPAM})
    assert rejected.json()["status"] == "rejected"
    for viewer in (None, "alice"):
        if viewer:
            api.http.post("/login", data={"username": viewer, "password": PASSWORD})
        page = api.http.get(f"/spaces/{space}")
        assert page.status_code == 200 and "welcome" in page.text and SPAM not in page.text
    feed = api.http.get("/api/v1/feed", headers=alice.auth)
    assert SPAM not in feed.text
    audit = [e for e in api.log(space) if e["id"] == rejected.json()["id"]]
    assert [(e["accepted"], e["reason"]) for e in audit] == [(False, "not_a_member")]


def test_rejected_events_are_not_sent_on_unless_an_accepted_one_descends(
    api: ApiClient,
) -> None:
    alice, mallory = api.sign_up("alice"), api.sign_up("mallory")
    space = api.create_space(alice)
    peer = RemoteNode(api, "http://east.example")
    living_here(api, space, peer)
    spam = api.act(mallory, space, "post.create", {"text": SPAM}).json()["id"]
    kept = api.post(alice, space, "welcome")
    node: Node = api.http.app.state.node  # type: ignore[attr-defined]
    with node.engine.begin() as conn:
        queued = set(conn.scalars(select(outbox.c.event_id).where(outbox.c.url == peer.url)))
    assert kept in queued and spam not in queued
    heads = peer.get(f"{space}/heads").json()["heads"]
    log = peer.get(f"{space}/log").content
    assert spam not in heads and SPAM.encode() not in log
    assert SPAM.encode() in peer.get(f"{space}/events", id=[spam]).content  # by id: served

    # An accepted event that names the rejected one as a parent needs it to verify.
    key = api.key_of(alice)
    prev, depth = api.tips(space)
    child = build_event(key, "post.create", {"text": "replying"}, space=space,
                        prev=sorted({*prev, spam}), depth=depth)  # fmt: skip
    assert api.submit(child.wire, as_member=alice).status_code == 201
    assert SPAM.encode() in peer.get(f"{space}/log").content
    assert child.id in peer.get(f"{space}/heads").json()["heads"]


def test_a_page_says_in_words_when_an_account_is_slowed_down(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    api.sign_up("mallory")
    api.http.post("/login", data={"username": "mallory", "password": PASSWORD})
    form = {"type": "post.create", "text": SPAM}
    for _ in range(3):
        done = api.http.post(f"/spaces/{space}/act", data=form, follow_redirects=False)
        assert done.status_code == 303
    limited = api.http.post(f"/spaces/{space}/act", data=form, follow_redirects=False)
    assert retry_after(limited) >= 1
    assert "text/html" in limited.headers["content-type"]
    assert "Too many requests" in limited.text and "try again" in limited.text
