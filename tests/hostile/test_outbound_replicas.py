"""A replica is a peer the node will contact again and again, so adding one is a decision:
the charter's `replica.add` right for a space held here, a node admin for a space the node
does not hold yet. Against a real node (allowed to reach loopback, so that only the rights
stand in the way), an account that is a member of nothing and a member without the right
are refused 403, and a real listener named as the peer gets no connection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import LIGHT_HASHING
from federation.cluster import wait_for
from hostile.outbound_listener import CountingListener
from p2pvalue.config import init_data_dir
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.outbound import LOOPBACK
from p2pvalue.web.app import create_app
from serving import loopback, served, url_of

PASSWORD = "correct horse battery"
UNHELD = "A" * 43
SETTLE_S = 1.0


@dataclass
class Replicas:
    node: Node
    http: httpx.Client
    space: str

    def sign_up(self, username: str) -> dict[str, str]:
        body = {"username": username, "password": PASSWORD}
        assert self.http.post("/api/v1/accounts", json=body).status_code == 201
        token = self.http.post("/api/v1/sessions", json=body).json()["token"]
        return {"Authorization": f"Bearer {token}"}

    def add(self, auth: dict[str, str], space: str, peer: str) -> tuple[int, str | None]:
        answer = self.http.post("/api/v1/replicas", json={"space": space, "peer": peer},
                                headers=auth)  # fmt: skip
        return answer.status_code, answer.json().get("error", {}).get("code")


@pytest.fixture
def replicas(tmp_path: Path, database_url: str | None) -> Iterator[Replicas]:
    listener = loopback()
    config = init_data_dir(tmp_path / "node", database_url, public_url=url_of(listener),
                           outbound_allow=LOOPBACK, admins=("root",))  # fmt: skip
    with (
        Node(config, password_hasher=LIGHT_HASHING) as node,
        served(create_app(node, sync_every=3600), listener) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        ann = node.accounts.register("ann", PASSWORD)
        yield Replicas(node, http, str(node.create_space(ann, "Commons").id))


def test_an_account_that_is_a_member_of_nothing_adds_no_peer(replicas: Replicas) -> None:
    mallory = replicas.sign_up("mallory")
    with CountingListener() as peer:
        assert replicas.add(mallory, replicas.space, peer.url) == (403, "not_a_member")
        assert replicas.add(mallory, UNHELD, peer.url) == (403, "node_admin_required")
        time.sleep(SETTLE_S)
        assert peer.accepted == 0


def test_a_member_without_the_right_adds_no_peer(replicas: Replicas) -> None:
    bob = replicas.sign_up("bob")
    account = replicas.node.accounts.by_username("bob")
    assert account is not None
    replicas.node.act(account, replicas.space, "member.join", {})
    with CountingListener() as peer:
        assert replicas.add(bob, replicas.space, peer.url) == (
            403, "role_lacks_permission:replica.add")  # fmt: skip
        time.sleep(SETTLE_S)
        assert peer.accepted == 0


def test_the_right_in_the_charter_or_a_node_admin_adds_a_peer(replicas: Replicas) -> None:
    charter = default_charter()
    charter["roles"]["member"].append("replica.add")
    ann = replicas.node.accounts.by_username("ann")
    assert ann is not None
    shared = str(replicas.node.create_space(ann, "Shared", charter=charter).id)
    bob = replicas.sign_up("bob")
    account = replicas.node.accounts.by_username("bob")
    assert account is not None
    replicas.node.act(account, shared, "member.join", {})
    root = replicas.sign_up("root")
    with CountingListener() as peer:
        assert replicas.add(bob, shared, peer.url) == (202, None)
        wait_for(lambda: peer.accepted > 0, 10, "the copy to start")
    with CountingListener() as peer:
        assert replicas.add(root, UNHELD, peer.url) == (202, None)
        wait_for(lambda: peer.accepted > 0, 10, "the copy to start")


def test_even_a_node_admin_adds_no_peer_the_node_may_not_reach(replicas: Replicas) -> None:
    root = replicas.sign_up("root")
    for peer in ("http://169.254.169.254", "http://10.0.0.1:8000", "http://[::ffff:10.0.0.1]"):
        assert replicas.add(root, UNHELD, peer) == (403, "forbidden_address")
