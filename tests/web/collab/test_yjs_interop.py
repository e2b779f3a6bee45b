"""Live documents with real counterparts: y-websocket clients on Node (the Yjs the editor
bundles) and a pycrdt peer, over real sockets to the node served by uvicorn. Writers edit
concurrently and converge, the API reports what they wrote and credits each author, a
reader's update closes her socket and lands nowhere, an outsider gets a close code and no
content, and each client sees who else is present."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from web.client import ApiClient, Member
from web.yjs_node import WAIT_SECONDS, YClient, ws_base
from web.ypeer import YPeer, community

if TYPE_CHECKING:
    from starlette.testclient import TestClient, WebSocketTestSession

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Community:
    """alice founded the space and its document, bob writes, carol only reads."""

    api: ApiClient
    site: str
    alice: Member
    bob: Member
    carol: Member
    space: str
    doc: str

    def client(self, member: Member | None, name: str | None = None) -> YClient:
        token = member.token if member else None
        return YClient(self.site, self.doc, token, name or (member.username if member else "?"))

    def document(self, member: Member | None = None) -> dict[str, Any]:
        """The document as `GET /api/v1/spaces/{space}/docs/{doc}` shows it to `member`."""
        found = self.api.http.get(
            f"/api/v1/spaces/{self.space}/docs/{self.doc}", headers=(member or self.alice).auth
        )
        assert found.status_code == 200, found.text
        body: dict[str, Any] = found.json()
        return body

    def document_when(
        self, what: str, condition: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        """The document once `condition` holds for it (read again until it does, bounded)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition(found := self.document()):
            if time.monotonic() > deadline:
                pytest.fail(f"the API never showed {what}; last: {found}")
            time.sleep(0.02)
        return found


@pytest.fixture
def members(site: str) -> Iterator[Community]:
    with httpx.Client(base_url=site, timeout=WAIT_SECONDS) as http:
        # ApiClient only needs .get/.post of an httpx client, which a TestClient is too.
        api = ApiClient(cast("TestClient", http))
        alice, bob, carol, space, doc = community(api)
        yield Community(api, site, alice, bob, carol, space, doc)


class SocketSession:
    """A real websocket with the two methods `YPeer` uses of Starlette's test session;
    every read is bounded."""

    def __init__(self, url: str) -> None:
        self.connection: ClientConnection = connect(url, open_timeout=WAIT_SECONDS)

    def send_bytes(self, data: bytes) -> None:
        self.connection.send(data)

    def receive_bytes(self) -> bytes:
        message = self.connection.recv(timeout=WAIT_SECONDS)
        assert isinstance(message, bytes), message
        return message

    def __enter__(self) -> WebSocketTestSession:
        self.connection.__enter__()  # websockets wants its connections used as context managers
        return cast("WebSocketTestSession", self)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.connection.__exit__(kind, error, trace)


def test_two_writers_converge_and_a_reader_and_the_api_see_the_result(
    members: Community,
) -> None:
    with members.client(members.alice) as alice, members.client(members.bob) as bob:
        alice.wait_synced()
        bob.wait_synced()
        # Concurrent inserts at the same place: neither waits for the other's.
        for n in range(5):
            alice.insert(0, f"a{n} ")
            bob.insert(0, f"b{n} ")
        merged = alice.wait_text_length(30)
        bob.wait_text(merged)
        pieces = [merged[i : i + 3] for i in range(0, 30, 3)]
        assert sorted(pieces) == sorted([f"a{n} " for n in range(5)] + [f"b{n} " for n in range(5)])
        # Concurrent deletes over one range (0-6 and 3-9) and an append: deterministic.
        alice.delete(0, 6)
        bob.insert(30, "end")
        bob.delete(3, 6)
        final = merged[9:] + "end"
        alice.wait_text(final)
        bob.wait_text(final)
        with members.client(members.carol) as carol:
            carol.wait_synced()
            carol.wait_text(final)
            assert carol.quit() == 0
        assert (alice.quit(), bob.quit()) == (0, 0)
    document = members.document(members.carol)
    assert (document["text"], document["writable"]) == (final, False)
    # The first three pieces were deleted: each credited to whoever wrote it, until then.
    by_alice = 15 - 3 * sum(piece.startswith("a") for piece in pieces[:3])
    by_bob = 15 + 3 - 3 * sum(piece.startswith("b") for piece in pieces[:3])
    assert document["measure"]["authors"] == {members.alice.did: by_alice, members.bob.did: by_bob}


def test_a_node_clients_edit_is_what_the_api_reports_credited_to_its_author(
    members: Community,
) -> None:
    bob_did, alice_did = members.bob.did, members.alice.did
    with members.client(members.bob) as bob:
        bob.wait_synced()
        bob.insert(0, "written on Node")
        found = members.document_when("bob's text", lambda d: d["text"] == "written on Node")
        assert found["measure"]["authors"] == {bob_did: 15}
        # A pycrdt peer (alice) on a socket of its own gets it, and its edit reaches Node.
        url = f"{ws_base(members.site)}/{members.doc}?token={members.alice.token}"
        with SocketSession(url) as socket:
            peer = YPeer(socket, 4242)
            peer.sync()
            assert str(peer.text) == "written on Node"
            peer.insert(0, "Python and ")
            bob.wait_text("Python and written on Node")
            bob.insert(len("Python and written on Node"), "!")
            peer.until_text("Python and written on Node!")
        assert bob.quit() == 0
    found = members.document()
    assert found["text"] == "Python and written on Node!"
    assert found["measure"]["authors"] == {bob_did: 16, alice_did: 11}


def test_a_readers_insert_closes_her_socket_and_lands_nowhere(members: Community) -> None:
    with members.client(members.alice) as alice, members.client(members.carol) as carol:
        alice.wait_synced()
        alice.insert(0, "settled")
        carol.wait_synced()
        carol.wait_text("settled")
        carol.insert(0, "vandal ")
        assert carol.wait_closed() == {"event": "closed", "code": 4403, "reason": "read_only"}
        assert carol.wait_exit() == 0
        alice.insert(7, ".")  # a later edit of alice's goes through, and only it
        alice.wait_text("settled.")
        found = members.document_when("alice's edit", lambda d: d["text"] == "settled.")
        assert found["measure"]["authors"] == {members.alice.did: 8}
        assert not [e for e in alice.of_kind("text") if "vandal" in e["text"]]
    assert members.document(members.carol)["text"] == "settled."


@pytest.mark.parametrize(
    ("who", "code", "reason"),
    [("outsider", 4403, "not_a_member"), ("anonymous", 4401, "not_authenticated"),
     ("forged", 4401, "bad_token")],
)  # fmt: skip
def test_others_are_closed_with_a_code_and_never_get_the_text(
    members: Community, who: str, code: int, reason: str
) -> None:
    with members.client(members.alice) as alice:
        alice.wait_synced()
        alice.insert(0, "members only")
        members.document_when("alice's text", lambda d: d["text"] == "members only")
        if who == "outsider":
            stranger = YClient(
                members.site, members.doc, members.api.sign_up("mallory").token, "mallory"
            )
        else:
            stranger = YClient(
                members.site, members.doc, "forged" if who == "forged" else None, who
            )
        with stranger:
            closed = stranger.wait_closed()
            assert stranger.wait_exit() == 0
        assert closed == {"event": "closed", "code": code, "reason": reason}
        assert [e for e in stranger.of_kind("text") if e["text"]] == []
        assert stranger.of_kind("synced") == []
        assert "mallory" not in alice.users


def test_those_present_see_a_newcomer_arrive_and_leave(members: Community) -> None:
    with members.client(members.alice) as alice:
        alice.wait_synced()
        alice.wait_users("alice")
        with members.client(members.bob) as bob, members.client(members.carol) as carol:
            bob.wait_synced()
            carol.wait_synced()
            alice.wait_users("alice", "bob", "carol")
            assert bob.quit() == 0
            alice.wait("bob gone", lambda: alice.users == ["alice", "carol"])


def test_a_newcomer_sees_those_already_present(members: Community) -> None:
    with members.client(members.alice) as alice:
        alice.wait_synced()
        with members.client(members.bob) as bob:
            bob.wait_synced()
            alice.wait_users("alice", "bob")
            # Within seconds, not at the others' awareness renewal (15 s in y-protocols).
            bob.wait("alice seen", lambda: bob.users == ["alice", "bob"], seconds=5)
