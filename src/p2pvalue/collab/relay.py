"""Live documents shared by the workers of one node: a Redis stream per document, in the
manner of y-redis.

Every worker that has a document open appends the updates its own clients make to the
document's stream and follows the stream for the others' updates, which it applies to its
room (and so sends to its clients). A worker opening a document reads what the store holds
and then the whole stream, so a late joiner on any worker starts from the full state. An
update is stored by the worker whose client made it, and only by it: the others apply it
without storing it again (`DocRoom.apply_remote`).

Who is in a document (Yjs awareness: names, cursors) is ephemeral, so it travels on a
pub/sub channel per document and is never stored. A worker that starts hearing a document's
channel says hello with the states its own clients hold; every other worker with the
document open answers with theirs, so whichever of two workers opened the document last,
each learns who is on the other.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import redis.asyncio as aioredis
from redis.exceptions import RedisError

LOG = logging.getLogger(__name__)
# How many updates a document's stream keeps (about): a bound on Redis' memory, far above
# what an editing session makes between two loads of the document from the store.
KEEP_UPDATES = 100_000
BLOCK_MS = 1000
HELLO = b"h"  # a worker starts hearing a document: its clients' states, and "send me yours"
STATES = b"a"  # awareness states of a worker's clients (a y-websocket awareness message)
Heard = Callable[[bytes, bytes], Awaitable[None]]


class DocRelay:
    """One worker's side of the documents' streams."""

    def __init__(self, url: str, prefix: str) -> None:
        # Typed loosely: redis-py's stubs type every reply as a union of all replies.
        self._redis: Any = aioredis.Redis.from_url(url)
        self._prefix = prefix
        self.worker = uuid.uuid4().hex.encode()

    def _key(self, doc: str) -> str:
        return f"{self._prefix}{doc}"

    async def publish(self, doc: str, update: bytes) -> None:
        """Append an update this worker's client made. Never raises."""
        try:
            fields = {"w": self.worker, "u": update}
            await self._redis.xadd(self._key(doc), fields, maxlen=KEEP_UPDATES, approximate=True)
        except RedisError:
            LOG.exception("an update of %s did not reach the other workers", doc)

    async def history(self, doc: str) -> tuple[list[bytes], str]:
        """Every update of the stream made on other workers, and where the stream ends."""
        entries = await self._redis.xrange(self._key(doc))
        last = entries[-1][0].decode() if entries else "0-0"
        return [f[b"u"] for _, f in entries if f.get(b"w") != self.worker], last

    async def follow(self, doc: str, after: str) -> AsyncIterator[bytes]:
        """The other workers' updates appended after `after`, as they come, until cancelled;
        a lost connection is tried again each second."""
        key = self._key(doc)
        while True:
            try:
                found = await self._redis.xread({key: after}, block=BLOCK_MS)
            except RedisError:
                LOG.exception("lost the stream of %s; trying again", doc)
                await anyio.sleep(1)
                continue
            for _, entries in found:
                for entry_id, fields in entries:
                    after = entry_id.decode()
                    if fields.get(b"w") != self.worker:
                        yield fields[b"u"]

    def _channel(self, doc: str) -> str:
        return f"{self._prefix}{doc}:awareness"

    async def tell(self, doc: str, kind: bytes, message: bytes) -> None:
        """Tell the other workers with `doc` open of awareness states (`STATES`, `HELLO`).
        Never raises: presence is ephemeral, and a client renews its state on its own."""
        try:
            await self._redis.publish(self._channel(doc), self.worker + kind + message)
        except RedisError:
            LOG.exception("the presence in %s did not reach the other workers", doc)

    async def presence(self, doc: str, mine: Callable[[], bytes], heard: Heard) -> None:
        """Hear the other workers' awareness messages of `doc` until cancelled, handing each
        (kind, message) to `heard`; once subscribed (again, after a lost connection), say
        hello with `mine()`, this worker's clients' states."""
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await self._subscribed(pubsub, self._channel(doc))
                    await self.tell(doc, HELLO, mine())
                    await self._hear(pubsub, heard)
            except RedisError:
                LOG.exception("lost the presence channel of %s; trying again", doc)
                await anyio.sleep(1)

    async def _subscribed(self, pubsub: Any, channel: str) -> None:
        """Subscribe, and return once Redis confirms it (nothing published later is missed)."""
        await pubsub.subscribe(channel)
        while True:
            message = await pubsub.get_message(timeout=BLOCK_MS / 1000)
            if message is not None and message["type"] == "subscribe":
                return

    async def _hear(self, pubsub: Any, heard: Heard) -> None:
        width = len(self.worker)
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None or message["type"] != "message":
                continue
            data: bytes = message["data"]
            if len(data) > width and data[:width] != self.worker:
                await heard(data[width : width + 1], data[width + 1 :])

    async def aclose(self) -> None:
        await self._redis.aclose()
