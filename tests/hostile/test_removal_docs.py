"""A member removed from a space, or who leaves it, is cut off from its live documents and
its live feed at once: the sockets of a real served node are closed within a second of
the removal's commit, and nothing written after it reaches them. Awareness states reach
the other clients under the member's own name, and a forged one is refused."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from hostile.removal_peers import FeedReader, WsPeer, private_document
from p2pvalue.node import Node
from p2pvalue.web.app import SERVER_SETTINGS, create_app
from serving import loopback, served
from web.client import ApiClient
from web.yjs_node import YClient

WITHIN_S = 1.0


@pytest.fixture
def site(node: Node) -> Iterator[str]:
    """The node's app served by uvicorn as `p2pvalue serve` serves it, on each backend."""
    with served(create_app(node), loopback(), ws=SERVER_SETTINGS["ws"]) as url:
        yield url


@pytest.fixture
def api(site: str) -> Iterator[ApiClient]:
    with httpx.Client(base_url=site, timeout=10) as http:
        yield ApiClient(http)  # type: ignore[arg-type]


def test_a_removed_members_yjs_client_is_closed_within_a_second(site: str, api: ApiClient) -> None:
    alice, bob, _carol, space, doc = private_document(api)
    with WsPeer(site, doc, alice, 1) as writer, YClient(site, doc, bob.token, "bob") as removed:
        writer.sync()
        removed.wait_synced()
        writer.insert(0, "before")
        removed.wait_text("before")
        started = time.monotonic()
        answer = api.act(alice, space, "member.remove", {"member": bob.did})
        assert answer.status_code == 201, answer.text
        writer.insert(6, " after the removal")
        closed = removed.wait_closed()
        elapsed = time.monotonic() - started
        writer.round_trip()
    assert (closed["code"], closed["reason"]) == (4403, "not_a_member")
    assert elapsed < WITHIN_S, f"closed {elapsed:.2f} s after the removal"
    assert [e["text"] for e in removed.of_kind("text")] == ["before"]


@pytest.mark.parametrize("departure", ["member.remove", "member.leave"])
def test_nothing_written_after_a_departure_reaches_the_member(
    site: str, api: ApiClient, departure: str
) -> None:
    alice, bob, carol, space, doc = private_document(api)
    with (
        WsPeer(site, doc, alice, 1) as writer,
        WsPeer(site, doc, bob, 2) as gone,
        WsPeer(site, doc, carol, 3) as staying,
    ):
        for peer in (writer, gone, staying):
            peer.sync()
        writer.insert(0, "before")
        writer.round_trip()
        started = time.monotonic()
        if departure == "member.remove":
            answer = api.act(alice, space, "member.remove", {"member": bob.did})
        else:
            answer = api.act(bob, space, "member.leave")
        assert answer.status_code == 201, answer.text
        writer.insert(6, " and after")
        closed = gone.closed(WITHIN_S)
        elapsed = time.monotonic() - started
        writer.round_trip()
        staying.round_trip()
    assert closed == (4403, "not_a_member")
    assert elapsed < WITHIN_S
    assert str(gone.text) == "before"
    assert str(staying.text) == "before and after"


def test_a_removal_decided_by_proposal_closes_the_socket(site: str, api: ApiClient) -> None:
    alice, bob, carol, space, doc = private_document(api)
    at = f"/api/v1/spaces/{space}/proposals"
    removal = {"title": "Bob goes", "action": {"type": "member.remove", "member": bob.did}}
    made = api.http.post(at, json=removal, headers=alice.auth)
    assert made.status_code == 201, made.text
    proposal = made.json()["id"]
    for voter in (alice, carol):
        voted = api.http.post(f"{at}/{proposal}/votes", json={"ballot": {"choice": "yes"}},
                              headers=voter.auth)  # fmt: skip
        assert voted.status_code == 201, voted.text
    with WsPeer(site, doc, bob, 2) as gone:
        gone.sync()
        started = time.monotonic()
        closed = api.http.post(f"{at}/{proposal}/close", headers=alice.auth)
        assert closed.status_code == 201, closed.text
        assert gone.closed(WITHIN_S) == (4403, "not_a_member")
        assert time.monotonic() - started < WITHIN_S


def test_a_removed_members_live_feed_ends_with_the_removal(site: str, api: ApiClient) -> None:
    alice, bob, _carol, space, _doc = private_document(api)
    followed = api.http.put(f"/api/v1/me/follows/spaces/{space}", headers=bob.auth)
    assert followed.status_code == 200, followed.text
    feed = FeedReader(site, bob)
    try:
        api.post(alice, space, "seen by bob")
        feed.wait(lambda: len(feed.named("item")) == 1)
        started = time.monotonic()
        answer = api.act(alice, space, "member.remove", {"member": bob.did})
        assert answer.status_code == 201, answer.text
        api.post(alice, space, "written after the removal")
        feed.wait(lambda: feed.ended is not None, WITHIN_S * 2)
    finally:
        feed.close()
    revoked = feed.named("revoked")
    assert len(revoked) == 1 and space in revoked[0][1]
    assert revoked[0][0] - started < WITHIN_S
    assert [data for _, data in feed.named("item") if "after the removal" in data] == []


def test_awareness_shows_the_members_own_name_and_a_strict_colour(
    site: str, api: ApiClient
) -> None:
    alice, bob, _carol, _space, doc = private_document(api)
    with WsPeer(site, doc, alice, 1) as watcher, WsPeer(site, doc, bob, 2) as liar:
        watcher.sync()
        liar.sync()
        liar.announce(
            {"user": {"name": "alice", "color": "#30bced", "avatar": "https://evil.example/p"},
             "cursor": None}
        )  # fmt: skip
        assert watcher.awareness_states() == [
            (2, {"user": {"name": "bob", "color": "#30bced"}, "cursor": None})
        ]
        liar.announce({"user": {"name": "alice", "color": "#ee6352"}}, client=1)
        liar.announce({"user": {"name": "still bob", "color": "#6eeb83"}})
        assert watcher.awareness_states() == [(2, {"user": {"name": "bob", "color": "#6eeb83"}})]
        liar.announce({"user": {"name": "bob", "color": "red;background:url(//evil.example)"}})
        assert liar.closed() == (4422, "invalid_colour")
        left = watcher.awareness_states()
    assert left == [(2, None)]  # the node says bob's state is gone, and nothing else of it


@pytest.mark.parametrize(
    ("state", "closed"),
    [
        ({"user": {"name": "bob", "color": "#30bced"}, "note": "x" * 5000},
         (1009, "awareness_too_large")),
        ({"user": "bob"}, (4422, "invalid_awareness")),
        (["not", "an", "object"], (4422, "invalid_awareness")),
        ({"user": {"colorLight": "#30bced33ff"}}, (4422, "invalid_colour")),
    ],
)  # fmt: skip
def test_an_awareness_state_out_of_bounds_closes_the_socket(
    site: str, api: ApiClient, state: object, closed: tuple[int, str]
) -> None:
    _alice, bob, _carol, _space, doc = private_document(api)
    with WsPeer(site, doc, bob, 2) as peer:
        peer.sync()
        peer.announce(state)  # type: ignore[arg-type]
        assert peer.closed() == closed
