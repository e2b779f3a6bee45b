"""The node's live documents: a y-websocket server (pycrdt-websocket) whose rooms persist to
pycrdt-store, with the charter's access rules, the limits and authorship applied to every
frame a client sends before its room sees it.

A client's socket reaches its room through a `Guard`: a malformed frame, an oversized
update or document, or an update from a member who may only read closes the socket with a
precise code and reason, and the room never applies it. Sync step 2 from a reader is
dropped silently, as every Yjs client sends one after connecting. The first member to send
content under a Yjs client id owns it; a document's snapshot counts each owner's live
content (`collab.documents.measure`).
"""

from __future__ import annotations

import logging
import time
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import anyio
from anyio import to_thread
from pycrdt import Text, create_awareness_message, get_state
from pycrdt.store import SQLiteYStore, YDocNotFound
from pycrdt.websocket import WebsocketServer, YRoom

from p2pvalue.collab import yframes
from p2pvalue.collab.documents import Measure, measure
from p2pvalue.collab.service import DocAccess, refusal
from p2pvalue.errors import P2PError

if TYPE_CHECKING:
    from p2pvalue.accounts import Account
    from p2pvalue.ingest import Outcome
    from p2pvalue.node import Node

LOG = logging.getLogger(__name__)
STORE_FILE = "documents.db"
TEXT = "content"  # the Y.Text a document's editor binds to
MAX_FRAME_BYTES = 1 << 20
MAX_DOC_BYTES = 8 << 20
MAX_AWARENESS_BYTES = 64 << 10
RECHECK_ACCESS_EVERY = 5.0
SNAPSHOT_EVERY = 600.0
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
    "document_too_large": 4413,
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


class DocumentStore(SQLiteYStore):
    """One document's updates in the node's documents database (pycrdt-store's SQLite)."""

    def __init__(self, db_path: Path, doc: str) -> None:
        super().__init__(doc, log=LOG)
        self.db_path = str(db_path)
        self.writing = 0

    async def write(self, data: bytes) -> None:
        self.writing += 1
        try:
            await super().write(data)
        finally:
            self.writing -= 1


class DocRoom(YRoom):
    """One document's room: its Yjs document, the clients editing it, and its authorship."""

    def __init__(self, doc: str, space: str, store: DocumentStore, owners: dict[int, str]) -> None:
        super().__init__(ready=False, ystore=store, log=LOG, exception_handler=_logged)
        self.doc = doc
        self.space = space
        self.store = store
        self.owners = owners
        self.size = 0
        self.joined = 0
        self.writer: str | None = None  # the member who last sent an update
        self.changed = False  # since the last snapshot (set once an update is applied)
        self.on_message_error = _skipped
        self._watching: Any = None

    def watch(self) -> None:
        """From now on, note each change applied to the document (not the stored ones)."""
        self._watching = self.ydoc.observe(self._applied)

    def _applied(self, event: Any) -> None:
        self.changed = True

    def text(self) -> str:
        return str(self.ydoc.get(TEXT, type=Text))

    def measure(self) -> Measure:
        return measure(self.ydoc, self.owners)

    def admit_update(self, update: bytes, did: str, limit: int) -> dict[int, str]:
        """Check an update from a writer against the document limit, and claim for `did` the
        client ids it brings that no one owns yet (returned, to be recorded)."""
        try:
            states = yframes.state_vector(get_state(update))
        except (ValueError, yframes.FrameError):
            raise Refusal("malformed_update") from None
        if self.size + len(update) > limit:
            self.size = len(self.ydoc.get_update())
            if self.size + len(update) > limit:
                raise Refusal("document_too_large")
        claimed: dict[int, str] = {}
        if not self.owners.keys() >= states.keys():
            # Only an update that brings an unowned client id needs the document's state.
            known = yframes.state_vector(self.ydoc.get_state())
            claimed = {
                client: did
                for client, clock in states.items()
                if clock > known.get(client, 0) and client not in self.owners
            }
        self.owners.update(claimed)
        self.size += len(update)
        self.writer = did
        return claimed

    async def stop(self) -> None:
        if self._watching is not None:
            self.ydoc.unobserve(self._watching)
        await super().stop()
        # pycrdt-websocket leaves the sending end of the room's update stream open.
        self._update_send_stream.close()

    async def flushed(self) -> None:
        """Return once every update the room has applied is in its store."""
        # The room hands updates to the store through its stream, then in tasks of its own.
        while self._update_receive_stream.statistics().current_buffer_used or self.store.writing:
            await anyio.sleep(0.005)


class Guard:
    """A client's socket as its room reads it: only frames the member may send get through."""

    def __init__(self, socket: Socket, room: DocRoom, access: DocAccess, live: LiveDocuments):
        self.socket = socket
        self.room = room
        self.access = access
        self.live = live
        self.checked = time.monotonic()
        self.present: set[int] = set()  # the awareness client ids this socket speaks for

    @property
    def path(self) -> str:
        return self.socket.path

    def __aiter__(self) -> Guard:
        return self

    async def __anext__(self) -> bytes:
        while True:
            data = await self.socket.recv()
            try:
                if await self._admit(data):
                    return data
            except Refusal as refused:
                LOG.info("closed %s for %s: %s", self.path, self.access.did, refused.reason)
                await self.socket.close(refused.code, refused.reason)
                raise StopAsyncIteration from None

    async def send(self, message: bytes) -> None:
        await self.socket.send(message)

    async def recv(self) -> bytes:
        return await self.__anext__()

    async def _admit(self, data: bytes) -> bool:
        """Whether the room should apply `data`; a Refusal ends the connection."""
        if len(data) > MAX_FRAME_BYTES:
            raise Refusal("update_too_large")
        try:
            frame = yframes.parse_frame(data)
        except yframes.FrameError:
            raise Refusal("malformed_frame") from None
        if frame.kind == yframes.AWARENESS:
            if len(frame.payload) > MAX_AWARENESS_BYTES:
                raise Refusal("awareness_too_large")
            for client, _, state in yframes.awareness(frame.payload):
                (self.present.discard if state is None else self.present.add)(client)
            return True
        if frame.kind != yframes.SYNC or frame.sync == yframes.STEP1:
            return frame.kind == yframes.SYNC
        if not await self._writes():
            if frame.sync == yframes.UPDATE and frame.payload != yframes.EMPTY_UPDATE:
                raise Refusal("read_only")
            return False
        claimed = self.room.admit_update(frame.payload, self.access.did, self.live.max_doc_bytes)
        if claimed:
            await to_thread.run_sync(self.live.node.collab.claim_clients, self.room.doc, claimed)
        return True

    async def _writes(self) -> bool:
        """Whether the member may still edit: their rights are read again every few seconds,
        so a removal or a revoked role takes effect on open connections too."""
        if time.monotonic() - self.checked > RECHECK_ACCESS_EVERY:
            try:
                self.access = await to_thread.run_sync(
                    self.live.node.collab.access, self.room.doc, self.access.did
                )
            except P2PError as error:
                raise Refusal(error.code if error.code in CLOSE_CODES else "not_a_member") from None
            self.checked = time.monotonic()
        return self.access.writes


class LiveDocuments(WebsocketServer):
    """The rooms of the documents members have open, loaded from and saved to the store."""

    def __init__(
        self, node: Node, *, max_doc_bytes: int = MAX_DOC_BYTES,
        snapshot_every: float = SNAPSHOT_EVERY,
    ) -> None:  # fmt: skip
        super().__init__(rooms_ready=False, auto_clean_rooms=False, log=LOG)
        self.node = node
        self.path = node.config.data_dir / STORE_FILE
        self.max_doc_bytes = max_doc_bytes
        self.snapshot_every = snapshot_every
        self._rooms_lock = anyio.Lock()
        self._serving = 0

    async def serve_member(self, socket: Socket, access: DocAccess) -> None:
        """Serve one member's connection to a document until either side closes it."""
        self._serving += 1
        try:
            room = await self._open(access.document.id, access.document.space)
            guard = Guard(socket, room, access, self)
            try:
                await _greet(socket, room)
                await room.serve(guard)
            finally:
                await _gone(room, guard.present)
                await self._leave(room)
        finally:
            self._serving -= 1

    async def drained(self, seconds: float = 10.0) -> None:
        """Wait (a while at most) until every connection has let its room go: a closing
        room stores its updates and may sign a snapshot, in threads that use the database."""
        with anyio.move_on_after(seconds):
            while self._serving:
                await anyio.sleep(0.01)

    async def read(self, doc: str, space: str) -> tuple[str, Measure]:
        """A document's text and measure, loading it from the store if no one has it open."""
        room = await self._open(doc, space)
        try:
            return room.text(), room.measure()
        finally:
            await self._leave(room)

    async def snapshot(self, account: Account, doc: str, space: str) -> Outcome:
        """Sign and append a `doc.snapshot` of the document's current state, by `account`."""
        _, found = await self.read(doc, space)
        latest = self.node.collab.document(space, doc).latest
        if latest is not None and latest.state == found.state:
            raise refusal("snapshot_unchanged")
        return await self._append(account, space, doc, found)

    async def keep_snapshots(self) -> None:
        """Snapshot, every `snapshot_every` seconds, each open document changed since its last
        snapshot, signed by its last writer (documents closed in between were snapshotted
        when their last client left)."""
        while True:
            await anyio.sleep(self.snapshot_every)
            for room in list(self.rooms.values()):
                if isinstance(room, DocRoom):
                    await self._snapshot_changed(room, room.measure())

    async def _open(self, doc: str, space: str) -> DocRoom:
        async with self._rooms_lock:
            room = self.rooms.get(doc)
            if not isinstance(room, DocRoom):
                room = await self._load(doc, space)
                self.rooms[doc] = room
            room.joined += 1
            return room

    async def _load(self, doc: str, space: str) -> DocRoom:
        assert self._task_group is not None, "LiveDocuments is not running"
        store = DocumentStore(self.path, doc)
        await self._task_group.start(store.start)
        owners = await to_thread.run_sync(self.node.collab.owners, doc)
        room = DocRoom(doc, space, store, owners)
        await self.start_room(room)
        with suppress(YDocNotFound):
            await store.apply_updates(room.ydoc)
        room.size = len(room.ydoc.get_update())
        room.watch()
        room.ready = True
        return room

    async def _leave(self, room: DocRoom) -> None:
        """Let a room go once no one has it open: its updates stored, its changes snapshotted.
        Shielded: a server going down cancels its connections, and their updates are kept."""
        with anyio.CancelScope(shield=True):
            async with self._rooms_lock:
                room.joined -= 1
                if room.joined:
                    return
                del self.rooms[room.doc]
                await room.flushed()
                found = room.measure()
                await room.stop()
                await room.store.stop()
            await self._snapshot_changed(room, found)

    async def _snapshot_changed(self, room: DocRoom, found: Measure) -> None:
        if not room.changed:
            return
        room.changed = False
        writer = room.writer
        account = None if writer is None else self.node.accounts.by_did(writer)
        if account is None:
            return
        latest = self.node.collab.document(room.space, room.doc).latest
        if latest is not None and latest.state == found.state:
            return
        try:
            await self._append(account, room.space, room.doc, found)
        except P2PError as error:
            LOG.warning("no snapshot of %s by %s: %s", room.doc, writer, error.code)

    async def _append(self, account: Account, space: str, doc: str, found: Measure) -> Outcome:
        content = found.content(doc)
        act = self.node.act
        return await to_thread.run_sync(lambda: act(account, space, "doc.snapshot", content))


async def _greet(socket: Socket, room: DocRoom) -> None:
    """Tell a newcomer who is already here (the room's awareness), as y-websocket's own
    server does, rather than leave them to wait for everyone's next renewal."""
    present = [client for client in room.awareness.states if client != room.awareness.client_id]
    if present:
        update = room.awareness.encode_awareness_update(present)
        await socket.send(create_awareness_message(update))


async def _gone(room: DocRoom, present: set[int]) -> None:
    """Tell the others that the awareness states a closed socket spoke for are gone, even
    if its client did not say so before it went."""
    left = [client for client in present if client in room.awareness.states]
    if not left:
        return
    room.awareness.remove_awareness_states(left, "disconnect")
    message = create_awareness_message(room.awareness.encode_awareness_update(left))
    for client in list(room.clients):
        await client.send(message)


def _logged(exception: Exception, log: logging.Logger) -> bool:
    log.error("a document room failed", exc_info=exception)
    return True


def _skipped(exception: Exception, message: bytes, channel: Any) -> bool:
    """A message the room could not apply (the guard let it through): logged and skipped."""
    LOG.warning("skipped a message on %s: %s", getattr(channel, "path", "?"), exception)
    return True
