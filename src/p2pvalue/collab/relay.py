"""Live documents shared by the workers of one node: a Redis stream per document, in the
manner of y-redis.

Every worker that has a document open appends the updates its own clients make to the
document's stream and follows the stream for the others' updates, which it applies to its
room (and so sends to its clients). A worker opening a document reads what the store holds
and then the whole stream, so a late joiner on any worker starts from the full state. An
update is stored by the worker whose client made it, and only by it: the others apply it
without storing it again (`DocRoom.apply_remote`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
import redis.asyncio as aioredis
from redis.exceptions import RedisError

LOG = logging.getLogger(__name__)
# How many updates a document's stream keeps (about): a bound on Redis' memory, far above
# what an editing session makes between two loads of the document from the store.
KEEP_UPDATES = 100_000
BLOCK_MS = 1000


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

    async def aclose(self) -> None:
        await self._redis.aclose()
