"""A push makes a node fetch only from a node the space's log names, and only once the push
is verified: a real node (allowed to reach loopback, so that only this rule stands in the
way) is pushed to by a node key its log does not name, whose `from` points at a real
listener; the push is refused 403 and the listener gets no connection. A named node's
missing ancestors are fetched at the URL the log names it by, never at the push's `from`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import LIGHT_HASHING
from federation.cluster import wait_for
from hostile.outbound_listener import CountingListener
from p2pvalue.accounts import Account
from p2pvalue.config import init_data_dir
from p2pvalue.events.event import build_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.federation.signatures import NodeAuth
from p2pvalue.node import Node
from p2pvalue.outbound import LOOPBACK
from p2pvalue.store import events as event_store
from p2pvalue.web.app import create_app
from serving import loopback, served, url_of

SETTLE_S = 1.5  # long enough for a fetch the push would start to reach the listener


@dataclass
class Target:
    node: Node
    url: str
    ann: Account

    def space(self, membership: str = "open") -> str:
        return str(self.node.create_space(self.ann, "Commons", membership=membership).id)

    def push(self, sender: KeyPair, space: str, said: str, wires: list[Any]) -> httpx.Response:
        body = {"from": said, "events": wires}
        with httpx.Client(timeout=10) as http:
            return http.post(f"{self.url}/federation/v1/spaces/{space}/events", json=body,
                             auth=NodeAuth(sender))  # fmt: skip

    def orphan(self, space: str) -> Any:
        """A well-signed post whose parent this node lacks: it waits, and its sender would
        be asked for the parent at once."""
        author = KeyPair.generate()
        parent = build_event(author, "member.join", {}, space=space, prev=[space], depth=1)
        return build_event(author, "post.create", {"text": "hi"}, space=space,
                           prev=[parent.id], depth=2).wire  # fmt: skip

    def held(self, space: str) -> int:
        with self.node.engine.begin() as conn:
            return len(event_store.known_ids(conn, [space]))


@pytest.fixture
def target(tmp_path: Path, database_url: str | None) -> Iterator[Target]:
    listener = loopback()
    config = init_data_dir(tmp_path / "node", database_url, public_url=url_of(listener),
                           outbound_allow=LOOPBACK)  # fmt: skip
    with (
        Node(config, password_hasher=LIGHT_HASHING) as node,
        served(create_app(node, sync_every=0.2), listener) as url,
    ):
        yield Target(node, url, node.accounts.register("ann", "correct horse"))


def test_a_push_from_a_node_the_log_does_not_name_fetches_nothing(target: Target) -> None:
    space = target.space()
    stranger = KeyPair.generate()
    with CountingListener() as listener:
        refused = target.push(stranger, space, listener.url, [target.orphan(space)])
        time.sleep(SETTLE_S)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "unknown_node")
        assert listener.accepted == 0


def test_a_stranger_cannot_introduce_itself_to_an_invite_only_space(target: Target) -> None:
    space = target.space("invite")
    stranger, mallory = KeyPair.generate(), KeyPair.generate()
    join = build_event(mallory, "member.join", {}, space=space, prev=[space], depth=1)
    home = build_event(mallory, "member.home", {"node": stranger.did, "url": "http://x.example"},
                       space=space, prev=[join.id], depth=2)  # fmt: skip
    with CountingListener() as listener:
        # A home by someone who is neither member nor invitee, nor joins here: refused.
        refused = target.push(stranger, space, listener.url, [home.wire, target.orphan(space)])
        time.sleep(SETTLE_S)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "unknown_node")
        assert listener.accepted == 0
    events = target.node.space(space).events
    assert events == 1 + 1  # the founding and ann's home: nothing of the push stored


def test_missing_ancestors_are_fetched_where_the_log_names_the_sender(target: Target) -> None:
    space = target.space()
    sender, carol = KeyPair.generate(), KeyPair.generate()
    with CountingListener() as named, CountingListener() as said:
        for type, content in (("member.join", {}), ("member.home",
                              {"node": sender.did, "url": named.url})):  # fmt: skip
            assert target.node.writer.act(carol, space, type, content).status == "accepted"
        pushed = target.push(sender, space, said.url, [target.orphan(space)])
        assert pushed.status_code == 200, pushed.text
        assert [o["status"] for o in pushed.json()["outcomes"]] == ["pending"]
        wait_for(lambda: any(b"/heads" in r for r in named.requests), 10,
                 "the fetch from the named home")  # fmt: skip
        time.sleep(SETTLE_S)
        assert said.accepted == 0


def test_a_new_members_node_is_taken_only_with_an_entrance_the_space_allows(
    target: Target,
) -> None:
    space = target.space("approval")
    stranger, dan = KeyPair.generate(), KeyPair.generate()
    join = build_event(dan, "member.join", {}, space=space, prev=[space], depth=1)
    request = build_event(dan, "member.request", {}, space=space, prev=[space], depth=1)
    with CountingListener() as listener:
        refused = target.push(stranger, space, listener.url, [join.wire])
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "unknown_node")
        taken = target.push(stranger, space, listener.url, [request.wire])
        assert [o["status"] for o in taken.json()["outcomes"]] == ["accepted"]
        time.sleep(SETTLE_S)
        assert listener.accepted == 0
