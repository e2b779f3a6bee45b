"""A client's socket as its document's room reads it: the frames a member may send, checked
before the room sees them, and nothing sent to a member whose access was revoked.

A malformed frame, an oversized update or document, an update from a member who may only
read, or an awareness state out of bounds (`collab.awareness`) closes the socket with a
precise code and reason (`CLOSE_CODES`), and the room never applies it. A socket speaks for
one awareness client id: what it says of others (a Yjs client echoes their states) is left
out, and its own state reaches the others as `awareness.relayed` gives it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any, Protocol

from anyio import to_thread
from pycrdt import create_awareness_message

from p2pvalue.collab import yframes
from p2pvalue.collab.awareness import AwarenessRefused, relayed
from p2pvalue.collab.service import Collab, DocAccess
from p2pvalue.domain import Wiring
from p2pvalue.errors import P2PError

LOG = logging.getLogger(__name__)
MAX_FRAME_BYTES = 1 << 20
MAX_AWARENESS_BYTES = 64 << 10
# Close codes: 4000 + the HTTP status of the same refusal; 1009 is WebSocket's "too big".
CLOSE_CODES = {
    "malformed_frame": 4400,
    "malformed_update": 4400,
    "not_authenticated": 4401,
    "bad_token": 4401,
    "cross_origin": 4403,
    "not_a_member": 4403,
    "read_only": 4403,
    "unknown_document": 4404,
    "update_too_large": 1009,
    "awareness_too_large": 1009,
    "invalid_awareness": 4422,
    "invalid_colour": 4422,
    "document_too_large": 4413,
    "access_unknown": 1011,  # access could not be decided again: reconnect to be judged anew
}


class Socket(Protocol):
    """A client's connection, as a room serves it (pycrdt's `Channel`) and as it is closed."""

    @property
    def path(self) -> str: ...

    async def send(self, message: bytes) -> None: ...

    async def recv(self) -> bytes: ...

    async def close(self, code: int, reason: str) -> None: ...


class Refusal(Exception):
    """A frame that ends its connection: `reason` is the refusal's code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = CLOSE_CODES[reason]


class Room(Protocol):
    """What a guard reads of its document's room (`live.DocRoom`)."""

    @property
    def doc(self) -> str: ...
    @property
    def space(self) -> str: ...
    @property
    def owners(self) -> Mapping[int, str]: ...
    @property
    def awareness(self) -> Any: ...  # pycrdt's Awareness, whose `states` the guard reads
    @property
    def clients(self) -> Collection[Any]: ...

    def admit_update(self, update: bytes, did: str, limit: int) -> dict[int, str]: ...


class Rooms(Protocol):
    """What a guard reads of the rooms it serves in (`live.LiveDocuments`)."""

    @property
    def wiring(self) -> Wiring: ...
    @property
    def max_doc_bytes(self) -> int: ...


class Guard:
    """A client's socket as its room reads it: only frames the member may send get through,
    and nothing reaches a member once their access is revoked."""

    def __init__(
        self, socket: Socket, room: Room, access: DocAccess, live: Rooms, name: str
    ) -> None:
        self.socket = socket
        self.room = room
        self.access = access
        self.live = live
        self.name = name  # the member's handle: the name their awareness state shows
        self.present: set[int] = set()  # the awareness client id this socket speaks for
        self.revoked: Refusal | None = None

    @property
    def path(self) -> str:
        return self.socket.path

    def __aiter__(self) -> Guard:
        return self

    async def __anext__(self) -> bytes:
        while True:
            data = await self.socket.recv()
            try:
                if self.revoked is not None:
                    raise self.revoked
                admitted = await self._admit(data)
                if admitted is not None:
                    return admitted
            except Refusal as refused:
                await self.end(refused)
                raise StopAsyncIteration from None

    async def send(self, message: bytes) -> None:
        if self.revoked is None:
            await self.socket.send(message)

    async def recv(self) -> bytes:
        return await self.__anext__()

    async def end(self, refused: Refusal) -> None:
        """Close the socket with the refusal's code and reason."""
        LOG.info("closed %s for %s: %s", self.path, self.access.did, refused.reason)
        await self.socket.close(refused.code, refused.reason)

    def judge(self, access: DocAccess | P2PError) -> bool:
        """Take the member's access as just decided (from any thread): a refusal revokes
        the socket at once, so nothing more is sent to it; whether it was revoked now."""
        if isinstance(access, DocAccess):
            self.access = access
            return False
        if self.revoked is not None:
            return False
        self.revoked = Refusal(access.code if access.code in CLOSE_CODES else "not_a_member")
        return True

    async def _admit(self, data: bytes) -> bytes | None:
        """The frame the room should take for `data` (None: none); a Refusal ends the
        connection."""
        if len(data) > MAX_FRAME_BYTES:
            raise Refusal("update_too_large")
        try:
            frame = yframes.parse_frame(data)
        except yframes.FrameError:
            raise Refusal("malformed_frame") from None
        if frame.kind == yframes.AWARENESS:
            return self._awareness(frame.payload)
        if frame.kind != yframes.SYNC or frame.sync == yframes.STEP1:
            return data if frame.kind == yframes.SYNC else None
        if not self.access.writes:
            if frame.sync == yframes.UPDATE and frame.payload != yframes.EMPTY_UPDATE:
                raise Refusal("read_only")
            return None
        claimed = self.room.admit_update(frame.payload, self.access.did, self.live.max_doc_bytes)
        if claimed:
            await to_thread.run_sync(
                self.live.wiring.service(Collab).claim_clients, self.room.doc, claimed
            )
        return data

    def _awareness(self, payload: bytes) -> bytes | None:
        """An awareness frame as the others get it: only the client id this socket speaks
        for, its state as `relayed` shows it (what a Yjs client echoes of the others'
        states is left out)."""
        if len(payload) > MAX_AWARENESS_BYTES:
            raise Refusal("awareness_too_large")
        kept: list[tuple[int, int, object]] = []
        for client, clock, state in yframes.awareness(payload):
            if not self._speaks_for(client):
                continue
            try:
                shown = relayed(state, self.name)
            except AwarenessRefused as refused:
                raise Refusal(refused.reason) from None
            (self.present.discard if shown is None else self.present.add)(client)
            kept.append((client, clock, shown))
        return create_awareness_message(yframes.encode_awareness(kept)) if kept else None

    def _speaks_for(self, client: int) -> bool:
        """Whether this socket speaks for awareness `client`: the one it first claimed, if
        no other socket speaks for it, no other member wrote under it, and it is not the
        room's own."""
        if self.present:
            return client in self.present
        owner = self.room.owners.get(client)
        return (
            client not in self.room.awareness.states
            and (owner is None or owner == self.access.did)
            and not any(
                isinstance(other, Guard) and client in other.present for other in self.room.clients
            )
        )
