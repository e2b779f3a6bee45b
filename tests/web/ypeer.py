"""A Yjs peer for tests: a pycrdt document speaking the y-websocket protocol over the test
client's websocket, plus the community the document tests share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pycrdt import (
    Doc,
    Text,
    TransactionEvent,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)
from starlette.websockets import WebSocketDisconnect

from p2pvalue.governance.templates import default_charter
from web.client import ApiClient, Member

if TYPE_CHECKING:
    from starlette.testclient import WebSocketTestSession


class YPeer:
    """One client of a document: its own Yjs document, kept in sync with the node's."""

    def __init__(self, socket: WebSocketTestSession, client_id: int) -> None:
        self.socket = socket
        self.doc: Doc[Any] = Doc(client_id=client_id)
        self.text = self.doc.get("content", type=Text)
        self.local: list[bytes] = []
        self.doc.observe(self._record)

    def _record(self, event: TransactionEvent) -> None:
        self.local.append(event.update)

    def sync(self) -> None:
        """Answer the node's sync step 1 (after who is here, if anyone is), then ask for its
        state and apply the reply."""
        first = self.socket.receive_bytes()
        while first[0] == 1:  # awareness: the node tells a newcomer who is already here
            first = self.socket.receive_bytes()
        self.socket.send_bytes(_reply(first, self.doc))
        self.round_trip()

    def round_trip(self) -> None:
        """Send a sync step 1 and apply the node's step 2: the node has handled every frame
        this peer sent before (a room reads one client's frames in order)."""
        self.socket.send_bytes(create_sync_message(self.doc))
        while True:
            message = self.receive()
            if message[:2] == b"\x00\x01":
                return

    def receive(self) -> bytes:
        message = self.socket.receive_bytes()
        if message[0] == 0 and message[1] != 0:
            handle_sync_message(message[1:], self.doc)
        return message

    def insert(self, index: int, text: str) -> bytes:
        """Edit locally and send the update; the update is returned."""
        self.text.insert(index, text)
        update = self.local[-1]
        self.socket.send_bytes(create_update_message(update))
        return update

    def delete(self, start: int, end: int) -> None:
        del self.text[start:end]
        self.socket.send_bytes(create_update_message(self.local[-1]))

    def until_text(self, expected: str, frames: int = 50) -> None:
        """Read frames until the document reads `expected` (failing after `frames`)."""
        for _ in range(frames):
            if str(self.text) == expected:
                return
            self.receive()
        assert str(self.text) == expected

    def closed(self) -> tuple[int, str]:
        """Read until the node closes the socket: its close code and reason."""
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(50):
                self.socket.receive_bytes()
        return closed.value.code, closed.value.reason


def _reply(step1: bytes, doc: Doc[Any]) -> bytes:
    assert step1[:2] == b"\x00\x00", step1
    reply = handle_sync_message(step1[1:], doc)
    assert reply is not None
    return reply


def reader_charter() -> dict[str, Any]:
    """The default charter, except that new members are readers: no `doc.write`."""
    charter = default_charter()
    charter["roles"]["reader"] = ["post.create"]
    charter["member_roles"] = ["reader"]
    return charter


def community(api: ApiClient) -> tuple[Member, Member, Member, str, str]:
    """alice founds a space and a document; bob is a member who writes (granted the member
    role), carol one who only reads; the document's id last."""
    alice, bob, carol = api.sign_up("alice"), api.sign_up("bob"), api.sign_up("carol")
    space = api.create_space(alice, charter=reader_charter())
    for member in (bob, carol):
        assert api.act(member, space, "member.join").status_code == 201
    granted = api.act(alice, space, "role.grant", {"member": bob.did, "role": "member"})
    assert granted.status_code == 201, granted.text
    created = api.http.post(
        f"/api/v1/spaces/{space}/docs", json={"title": "Field notes"}, headers=alice.auth
    )
    assert created.status_code == 201, created.text
    return alice, bob, carol, space, created.json()["id"]


def url(doc: str, member: Member | None) -> str:
    return f"/ws/docs/{doc}" + (f"?token={member.token}" if member else "")
