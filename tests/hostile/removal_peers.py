"""Real clients of a served node for the removal tests: a Yjs peer speaking the y-websocket
protocol over a real websocket (the `websockets` library), a reader of the live feed's
server-sent events, and the private space with a document they share."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

import httpx
from pycrdt import (
    Doc,
    Text,
    TransactionEvent,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from p2pvalue.collab import yframes
from web.client import ApiClient, Member
from web.yjs_node import ws_base

SECONDS = 5.0


class WsPeer:
    """One member's Yjs document, kept in sync with the node's over a real websocket."""

    def __init__(self, site: str, doc: str, member: Member, client_id: int) -> None:
        opened = connect(f"{ws_base(site)}/{doc}?token={member.token}", open_timeout=SECONDS)
        self.socket: ClientConnection = opened.__enter__()
        self.doc: Doc[Any] = Doc(client_id=client_id)
        self.text = self.doc.get("content", type=Text)
        self.local: list[bytes] = []
        self.received: list[bytes] = []
        self.clock = 0
        self.doc.observe(self._record)

    def _record(self, event: TransactionEvent) -> None:
        self.local.append(event.update)

    def receive(self, seconds: float = SECONDS) -> bytes:
        message = self.socket.recv(timeout=seconds)
        assert isinstance(message, bytes)
        self.received.append(message)
        if message[0] == 0 and message[1] != 0:
            handle_sync_message(message[1:], self.doc)
        return message

    def sync(self) -> None:
        """Answer the node's sync step 1, then ask for its state and apply the reply."""
        first = self.receive()
        while first[0] == 1:
            first = self.receive()
        reply = handle_sync_message(first[1:], self.doc)
        assert reply is not None
        self.socket.send(reply)
        self.round_trip()

    def round_trip(self) -> None:
        """Send a sync step 1 and read until the node's step 2: every frame sent before
        has been handled."""
        self.socket.send(create_sync_message(self.doc))
        while self.receive()[:2] != b"\x00\x01":
            pass

    def insert(self, index: int, text: str) -> None:
        self.text.insert(index, text)
        self.socket.send(create_update_message(self.local[-1]))

    def announce(self, state: dict[str, Any], client: int | None = None) -> None:
        """Send an awareness state, for this peer's own client id or another's."""
        self.clock += 1
        payload = yframes.encode_awareness([(client or self.doc.client_id, self.clock, state)])
        self.socket.send(create_awareness_message(payload))

    def awareness_states(self, seconds: float = SECONDS) -> list[tuple[int, object]]:
        """Read until the next awareness frame; its (client id, state) entries."""
        deadline = time.monotonic() + seconds
        while True:
            message = self.receive(max(0.01, deadline - time.monotonic()))
            if message[0] == 1:
                frame = yframes.parse_frame(message)
                return [(client, state) for client, _, state in yframes.awareness(frame.payload)]

    def closed(self, seconds: float = SECONDS) -> tuple[int, str]:
        """Read until the node closes the socket: its close code and reason."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.receive(max(0.01, deadline - time.monotonic()))
        except ConnectionClosed as ended:
            assert ended.rcvd is not None, "closed without a close frame"
            return ended.rcvd.code, ended.rcvd.reason

    def __enter__(self) -> WsPeer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:  # fmt: skip
        self.socket.close()


class FeedReader:
    """A member's live feed (`/me/feed/stream`) read on a thread: each server-sent event's
    name and data, with the time it arrived."""

    def __init__(self, site: str, member: Member) -> None:
        self.http = httpx.Client(base_url=site, timeout=httpx.Timeout(5, read=60))
        self.member = member
        self.events: list[tuple[float, str, str]] = []
        self.ended: float | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self._ready.wait(SECONDS), "the stream did not start"

    def _read(self) -> None:
        with self.http.stream("GET", "/api/v1/me/feed/stream", headers=self.member.auth) as got:
            name = ""
            for line in got.iter_lines():
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    self.events.append((time.monotonic(), name, line.removeprefix("data: ")))
                    self._ready.set()
        self.ended = time.monotonic()

    def named(self, name: str) -> list[tuple[float, str]]:
        return [(at, data) for at, event, data in self.events if event == name]

    def wait(self, condition: Any, seconds: float = SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"timed out; the stream had {self.events}"
            time.sleep(0.01)

    def close(self) -> None:
        self.http.close()
        self._thread.join(SECONDS)


def private_document(api: ApiClient) -> tuple[Member, Member, Member, str, str]:
    """alice founds a private space with a document; bob and carol are invited and join."""
    alice, bob, carol = api.sign_up("alice"), api.sign_up("bob"), api.sign_up("carol")
    space = api.create_space(alice, "Hidden garden", membership="invite", private=True)
    for member in (bob, carol):
        invited = api.act(alice, space, "member.invite", {"member": member.did})
        assert invited.status_code == 201, invited.text
        joined = api.act(member, space, "member.join")
        assert joined.status_code == 201, joined.text
    created = api.http.post(
        f"/api/v1/spaces/{space}/docs", json={"title": "Planting plan"}, headers=alice.auth
    )
    assert created.status_code == 201, created.text
    return alice, bob, carol, space, created.json()["id"]
