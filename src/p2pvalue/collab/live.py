"""The node's live documents: a y-websocket server (pycrdt-websocket) whose rooms persist to
pycrdt-store, with the charter's access rules, the limits and authorship applied to every
frame a client sends before its room sees it (`collab.guard`).

Sync step 2 from a reader is dropped silently, as every Yjs client sends one after
connecting. The first member to send content under a Yjs client id owns it; a document's
snapshot counts each owner's live content (`collab.documents.measure`).

Access is decided again whenever a space's governance changes: the write path tells the
live documents of each committed batch, and every open socket of a space whose batch holds
a membership, role or governance event is judged anew on the committing thread, before the
write returns. A member who lost the right to read is sent nothing more from that moment
and their socket is closed; one who lost the right to write becomes a reader.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from contextlib import closing, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from anyio import to_thread
from pycrdt import Text, create_awareness_message, get_state, read_message
from pycrdt.store import SQLiteYStore, YDocNotFound
from pycrdt.websocket import WebsocketServer, YRoom
from sqlite_anyio import connect, exception_logger

from p2pvalue.collab import yframes
from p2pvalue.collab.documents import Measure, measure
from p2pvalue.collab.guard import CLOSE_CODES as CLOSE_CODES
from p2pvalue.collab.guard import MAX_FRAME_BYTES as MAX_FRAME_BYTES
from p2pvalue.collab.guard import Guard, Refusal, Socket
from p2pvalue.collab.relay import HELLO, STATES, DocRelay
from p2pvalue.collab.service import Collab, DocAccess, refusal
from p2pvalue.errors import P2PError
from p2pvalue.events.types import RANK_ORDINARY, rank
from p2pvalue.store.locks import exclusive

if TYPE_CHECKING:
    from p2pvalue.accounts import Account
    from p2pvalue.domain import Wiring
    from p2pvalue.events.event import Event
    from p2pvalue.ingest import Outcome

LOG = logging.getLogger(__name__)
STORE_FILE = "documents.db"
TEXT = "content"  # the Y.Text a document's editor binds to
SNAPSHOT_EVERY = 600.0
MAX_DOC_BYTES = 8 << 20


class DocumentStore(SQLiteYStore):
    """One document's updates in the node's documents database (pycrdt-store's SQLite)."""

    def __init__(self, db_path: Path, doc: str) -> None:
        super().__init__(doc, log=LOG)
        self.db_path = str(db_path)
        self.writing = 0
        self.kept_elsewhere: set[bytes] = set()  # updates another worker stored

    async def _init_db(self) -> None:
        # pycrdt-store checks and creates the database without a lock shared between stores:
        # two rooms (or two workers) opening documents at once could each create its tables,
        # or find them half made and move the whole database aside, with every document in it.
        await to_thread.run_sync(prepare_store, Path(self.db_path), self.version)
        self._db = await connect(self.db_path, exception_handler=exception_logger, log=LOG)
        assert self.db_initialized is not None
        self.db_initialized.set()

    async def write(self, data: bytes) -> None:
        if data in self.kept_elsewhere:
            self.kept_elsewhere.discard(data)
            return
        self.writing += 1
        try:
            await super().write(data)
        finally:
            self.writing -= 1


def prepare_store(path: Path, version: int) -> None:
    """Make the documents database's tables if they are missing, in one exclusive transaction,
    so that any number of stores of any number of processes may call it at the same moment.
    A database of another store version is refused, never moved aside."""
    with closing(sqlite3.connect(path, timeout=60, isolation_level=None)) as db:
        db.execute("PRAGMA auto_vacuum = FULL")  # applies only to a database not yet made
        db.execute("BEGIN EXCLUSIVE")
        try:
            found = db.execute("PRAGMA user_version").fetchone()[0]
            if found not in (0, version):
                message = f"{path} was written by document store version {found}, not {version}"
                raise RuntimeError(message)
            db.execute(
                "CREATE TABLE IF NOT EXISTS yupdates (path TEXT NOT NULL, yupdate BLOB, "
                "metadata BLOB, timestamp REAL NOT NULL)"
            )
            db.execute(
                "CREATE INDEX IF NOT EXISTS idx_yupdates_path_timestamp "
                "ON yupdates (path, timestamp)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS ycheckpoints (path TEXT NOT NULL, "
                "checkpoint BLOB NOT NULL, timestamp REAL NOT NULL, PRIMARY KEY(path))"
            )
            db.execute(f"PRAGMA user_version = {int(version)}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


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
        self._remote = False
        # Where the updates and the awareness messages this worker's clients send go to the
        # node's other workers.
        self.outgoing: Callable[[bytes], None] | None = None
        self.presence_out: Callable[[bytes], None] | None = None
        self.following: anyio.CancelScope | None = None
        self.on_message = self._sent

    def _sent(self, message: bytes) -> bool:
        """A frame a client of this worker sent, as its guard let it through: awareness
        goes to the other workers too. Never skipped."""
        if message[:1] == bytes([yframes.AWARENESS]):
            self.share_presence(message)
        return False

    def share_presence(self, message: bytes) -> None:
        """Send an awareness message of this worker's clients to the other workers."""
        if self.presence_out is not None:
            self.presence_out(message)

    def presence(self) -> bytes:
        """The awareness message of the states this worker's clients speak for (empty
        if there are none)."""
        mine = [
            client
            for guard in self.clients if isinstance(guard, Guard)
            for client in guard.present if client in self.awareness.states
        ]  # fmt: skip
        return (
            create_awareness_message(self.awareness.encode_awareness_update(mine)) if mine else b""
        )

    async def hear_presence(self, message: bytes) -> None:
        """Take an awareness message from another worker's clients: kept in the room's
        awareness (so a newcomer here is greeted with it) and sent to this worker's clients."""
        try:
            self.awareness.apply_awareness_update(read_message(message[1:]), "relay")
        except Exception:
            LOG.warning("skipped a malformed awareness message of %s from another worker", self.doc)
            return
        for client in list(self.clients):
            with suppress(Exception):  # a client gone meanwhile: its socket's own end says so
                await client.send(message)

    def watch(self) -> None:
        """From now on, note each change applied to the document (not the stored ones)."""
        self._watching = self.ydoc.observe(self._applied)

    def _applied(self, event: Any) -> None:
        if self._remote:
            self.store.kept_elsewhere.add(event.update)
            return
        self.changed = True
        if self.outgoing is not None:
            self.outgoing(event.update)

    def apply_remote(self, update: bytes) -> None:
        """Apply an update a client of another worker made (which that worker stored): sent
        to this room's clients, neither stored nor sent on again."""
        self._remote = True
        try:
            self.ydoc.apply_update(update)
        finally:
            self._remote = False

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
        if self.following is not None:
            self.following.cancel()
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


class LiveDocuments(WebsocketServer):
    """The rooms of the documents members have open, loaded from and saved to the store."""

    def __init__(
        self, wiring: Wiring, *, max_doc_bytes: int = MAX_DOC_BYTES,
        snapshot_every: float = SNAPSHOT_EVERY, relay: DocRelay | None = None,
    ) -> None:  # fmt: skip
        """`relay`: the node's other workers' side of the documents (see `collab.relay`)."""
        super().__init__(rooms_ready=False, auto_clean_rooms=False, log=LOG)
        self.relay = relay
        self.wiring = wiring
        self.path = wiring.config.data_dir / STORE_FILE
        self.max_doc_bytes = max_doc_bytes
        self.snapshot_every = snapshot_every
        self._rooms_lock = anyio.Lock()
        self._serving = 0
        self._guards: set[Guard] = set()  # every open socket, read by the writer's thread too
        self._guards_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> LiveDocuments:
        await super().__aenter__()
        self._loop = asyncio.get_running_loop()
        self.wiring.writer.subscribe(self.committed, first=True)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.wiring.writer.unsubscribe(self.committed)
        await super().__aexit__(*exc)  # type: ignore[no-untyped-call]
        if self.relay is not None:
            await self.relay.aclose()

    async def serve_member(self, socket: Socket, access: DocAccess, name: str) -> None:
        """Serve one member's connection to a document until either side closes it; `name`
        is what their awareness state shows. Their access, decided before, is decided again
        once the socket is known to `committed`, so a removal committed in between counts."""
        self._serving += 1
        try:
            room = await self._open(access.document.id, access.document.space)
            guard = Guard(socket, room, access, self, name)
            with self._guards_lock:
                self._guards.add(guard)
            try:
                await self._judge([guard])
                if guard.revoked is not None:
                    await guard.end(guard.revoked)
                    return
                # From the greeting on, presence heard from other workers reaches it too.
                room.clients.add(guard)
                await _greet(socket, room)
                await room.serve(guard)
            finally:
                room.clients.discard(guard)
                with self._guards_lock:
                    self._guards.discard(guard)
                await _gone(room, guard.present)
                await self._leave(room)
        finally:
            self._serving -= 1

    def committed(self, events: Sequence[Event], origin: str | None) -> None:
        """Judge anew, on the committing thread before the write returns, the access of
        every open socket of a space whose batch changed its governance or membership, and
        close at once those that lost it. Never raises."""
        spaces = {event.space for event in events if rank(event.type) != RANK_ORDINARY}
        if not spaces:
            return
        with self._guards_lock:
            guards = [guard for guard in self._guards if guard.room.space in spaces]
        revoked = self._decide(guards)
        loop = self._loop
        if loop is None:
            return
        for guard in revoked:
            with suppress(RuntimeError):  # the loop has closed: so have the sockets
                loop.call_soon_threadsafe(self._end_soon, guard)

    def _end_soon(self, guard: Guard) -> None:
        if self._task_group is not None and guard.revoked is not None:
            self._task_group.start_soon(guard.end, guard.revoked)

    async def _judge(self, guards: list[Guard]) -> None:
        await to_thread.run_sync(self._decide, guards)

    def _decide(self, guards: list[Guard]) -> list[Guard]:
        """Decide each guard's access from the space as it now is; those just revoked.
        If it cannot be decided, they are revoked (a client reconnects to be judged anew)
        rather than left open."""
        try:
            return self._decided(guards)
        except Exception:
            LOG.exception("judging the access of %d open document socket(s) failed", len(guards))
            unknown = P2PError("access_unknown", "access could not be decided")
            return [guard for guard in guards if guard.judge(unknown)]

    def _decided(self, guards: list[Guard]) -> list[Guard]:
        decided: dict[tuple[str, str], DocAccess | P2PError] = {}
        revoked = []
        for guard in guards:
            key = (guard.room.doc, guard.access.did)
            if key not in decided:
                try:
                    decided[key] = self.wiring.service(Collab).access(*key)
                except P2PError as error:
                    decided[key] = error
            if guard.judge(decided[key]):
                revoked.append(guard)
        return revoked

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
        room = await self._open(doc, space)
        try:
            found = await self._measured(room)
        finally:
            await self._leave(room)
        return await self._append(account, space, doc, found)

    async def keep_snapshots(self) -> None:
        """Snapshot, every `snapshot_every` seconds, each open document changed since its last
        snapshot, signed by its last writer (documents closed in between were snapshotted
        when their last client left)."""
        while True:
            await anyio.sleep(self.snapshot_every)
            for room in list(self.rooms.values()):
                if isinstance(room, DocRoom):
                    await self._snapshot_changed(room)

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
        owners = await to_thread.run_sync(self.wiring.service(Collab).owners, doc)
        room = DocRoom(doc, space, store, owners)
        await self.start_room(room)
        with suppress(YDocNotFound):
            await store.apply_updates(room.ydoc)
        after = await self._catch_up(room) if self.relay is not None else None
        room.size = len(room.ydoc.get_update())
        room.watch()
        room.ready = True
        if after is not None:
            self._task_group.start_soon(self._follow, room, after)
        return room

    async def _catch_up(self, room: DocRoom) -> str:
        """Apply what the other workers' clients did to the document that this worker's
        store lacks; where to follow their stream from."""
        relay = self.relay
        assert relay is not None and self._task_group is not None
        updates, after = await relay.history(room.doc)
        for update in updates:
            room.ydoc.apply_update(update)
        group = self._task_group

        def outgoing(update: bytes) -> None:
            group.start_soon(relay.publish, room.doc, update)

        def presence_out(message: bytes) -> None:
            group.start_soon(relay.tell, room.doc, STATES, message)

        room.outgoing = outgoing
        room.presence_out = presence_out
        return after

    async def _follow(self, room: DocRoom, after: str) -> None:
        """Follow the other workers' updates and presence in the document until it closes."""
        relay = self.relay
        assert relay is not None

        async def updates() -> None:
            async for update in relay.follow(room.doc, after):
                room.apply_remote(update)

        async def heard(kind: bytes, message: bytes) -> None:
            if message:
                await room.hear_presence(message)
            if kind == HELLO:  # a worker that just opened the document: tell it who is here
                mine = room.presence()
                if mine:
                    await relay.tell(room.doc, STATES, mine)

        with anyio.CancelScope() as scope:
            room.following = scope
            async with anyio.create_task_group() as group:
                group.start_soon(updates)
                group.start_soon(relay.presence, room.doc, room.presence, heard)

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
                await room.stop()
                await room.store.stop()
            await self._snapshot_changed(room)

    async def _snapshot_changed(self, room: DocRoom) -> None:
        """Snapshot a room changed by this worker's clients, signed by its last writer,
        unless the log's latest snapshot already names its state (another worker with the
        document open may have signed it)."""
        if not room.changed:
            return
        room.changed = False
        writer = room.writer
        account = None if writer is None else self.wiring.accounts.by_did(writer)
        if account is None:
            return
        try:
            await self._append(account, room.space, room.doc, await self._measured(room))
        except P2PError as error:
            if error.code != "snapshot_unchanged":
                LOG.warning("no snapshot of %s by %s: %s", room.doc, writer, error.code)

    async def _measured(self, room: DocRoom) -> Measure:
        """The room's measure, counting the clients of other workers too (whose ids they
        claimed in the store)."""
        room.owners.update(await to_thread.run_sync(self.wiring.service(Collab).owners, room.doc))
        return room.measure()

    async def _append(self, account: Account, space: str, doc: str, found: Measure) -> Outcome:
        """Sign a snapshot of `found`, unless the document's latest snapshot already names
        its state (`snapshot_unchanged`): decided and done under the document's lock, which
        every worker takes, so that a state is snapshotted once whichever workers try."""
        return await to_thread.run_sync(self._append_once, account, space, doc, found)

    def _append_once(self, account: Account, space: str, doc: str, found: Measure) -> Outcome:
        with exclusive(self.wiring.engine, f"doc.snapshot:{doc}"):
            latest = self.wiring.service(Collab).document(space, doc).latest
            if latest is not None and latest.state == found.state:
                raise refusal("snapshot_unchanged")
            return self.wiring.act(account, space, "doc.snapshot", found.content(doc))


async def _greet(socket: Socket, room: DocRoom) -> None:
    """Tell a newcomer who is already here (the room's awareness), as y-websocket's own
    server does, rather than leave them to wait for everyone's next renewal."""
    present = [client for client in room.awareness.states if client != room.awareness.client_id]
    if present:
        update = room.awareness.encode_awareness_update(present)
        await socket.send(create_awareness_message(update))


async def _gone(room: DocRoom, present: set[int]) -> None:
    """Tell the others, on this worker and the others, that the awareness states a closed
    socket spoke for are gone, even if its client did not say so before it went."""
    left = [client for client in present if client in room.awareness.states]
    if not left:
        return
    room.awareness.remove_awareness_states(left, "disconnect")
    message = create_awareness_message(room.awareness.encode_awareness_update(left))
    room.share_presence(message)
    for client in list(room.clients):
        await client.send(message)


def _logged(exception: Exception, log: logging.Logger) -> bool:
    log.error("a document room failed", exc_info=exception)
    return True


def _skipped(exception: Exception, message: bytes, channel: Any) -> bool:
    """A message the room could not apply (the guard let it through): logged and skipped."""
    LOG.warning("skipped a message on %s: %s", getattr(channel, "path", "?"), exception)
    return True
