"""Asking for a private space's sealed log as a node that hosts none of its members: a
stranger's key, a key carrying a proof made for another node, a proof by a non-member.
Each is refused with no event; the node a member's `member.home` names and an invitee's
node (carrying the invitee's proof) are served."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import LIGHT_HASHING
from hostile.flooding import RemoteNode, client
from p2pvalue.config import init_data_dir
from p2pvalue.events.keys import KeyPair
from p2pvalue.federation.member_proof import HEADER, prove
from p2pvalue.node import Node
from web.client import ApiClient

READS = ("heads", "log", "log?before=9007199254740992", "events?id={space}", "summary")


@dataclass
class Private:
    api: ApiClient
    node: Node
    space: str
    invitee: KeyPair


@pytest.fixture
def private(tmp_path: Path, database_url: str | None) -> Iterator[Private]:
    """A node whose members announce it as their home, a private space founded there and
    a member invited to it who lives elsewhere."""
    config = init_data_dir(tmp_path / "node", database_url, "http://north.example")
    with Node(config, password_hasher=LIGHT_HASHING) as node, client(node) as api:
        ana = node.accounts.register("ana", "a long password")
        space = node.create_space(ana, "Hidden", membership="invite", private=True).id
        assert space is not None
        invitee = KeyPair.generate()
        assert node.act(ana, space, "member.invite", {"member": invitee.did}).status == "accepted"
        yield Private(api, node, space, invitee)


def _read(remote: RemoteNode, space: str, path: str, proof: str | None = None) -> httpx.Response:
    where = f"{space}/{path.format(space=space)}"
    return remote.get(where, headers={HEADER: proof} if proof else None)


def _refused(response: httpx.Response) -> bool:
    return response.status_code == 403 and response.json()["error"]["code"] == "private_space"


@pytest.mark.parametrize("path", READS)
def test_a_stranger_node_gets_nothing_of_a_private_space(private: Private, path: str) -> None:
    stranger = RemoteNode(private.api, "http://stranger.example")
    assert _refused(_read(stranger, private.space, path))


def test_a_proof_made_for_another_node_or_by_a_non_member_does_not_open_it(
    private: Private,
) -> None:
    invitees_node, stranger = RemoteNode(private.api), RemoteNode(private.api)
    theirs = prove(private.invitee, invitees_node.key.did, private.space)
    outsider = prove(KeyPair.generate(), stranger.key.did, private.space)
    forged = f"{private.invitee.did} {outsider.split(' ')[1]}"
    for proof in (theirs, outsider, forged, "garbage", "x" * 5000):
        for path in READS:
            assert _refused(_read(stranger, private.space, path, proof)), (proof, path)


def test_the_nodes_of_its_members_and_invitees_are_served(private: Private) -> None:
    home = RemoteNode(private.api, "http://north.example")
    home.key = private.node.key  # the node ana's member.home names
    invitees_node = RemoteNode(private.api, "http://east.example")
    proof = prove(private.invitee, invitees_node.key.did, private.space)
    events = private.node.space(private.space).events
    for reader, with_proof in ((home, None), (invitees_node, proof)):
        log = _read(reader, private.space, "log", with_proof)
        assert log.status_code == 200 and len(log.content.splitlines()) == events
        assert _read(reader, private.space, "heads", with_proof).status_code == 200
