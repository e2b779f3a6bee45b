"""Which worker of a node does its background work: the one holding a PostgreSQL advisory
lock.

A node served by several processes (`p2pvalue serve --workers N`, or workers on several
machines sharing one database) must keep each deadline, close each lazy claim, sign each
tick and deliver each queued message once. Every worker tries to take one session-level
advisory lock; the one that gets it leads and runs the background loops, the others try
again every `retry` seconds. The lock lives as long as the leader's database session: a
leader killed with -9, or cut off from the database, loses it with its connection, and the
next worker to try takes over, resuming from the stored state (every background job keeps
its progress in the database, in the same transaction as its effect, so a job cut short is
either done or not, never half-done). The leader checks its session every `retry` seconds
and stops leading the moment it is gone. On SQLite the node is one process and leads.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any

from sqlalchemy import Connection, Engine, text
from starlette.concurrency import run_in_threadpool

LOG = logging.getLogger(__name__)
# The advisory lock's key when none is given: any 64-bit number the node's database uses for
# nothing else. A node's own key (`lock_key`) keeps two nodes sharing a database apart.
LOCK_KEY = 0x70327076616C7565  # "p2pvalue"
RETRY_S = 2.0
# A bigint advisory lock shows in pg_locks as its high and low 32 bits, objsubid 1.
HELD = text(
    "SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid::bigint = :hi AND objid::bigint = :lo"
    " AND objsubid = 1"
)


def lock_key(node_did: str) -> int:
    """The background-work lock of the node `node_did`: every worker of that node (they share
    its key) contends for it, and no other node's does."""
    return int.from_bytes(hashlib.sha256(node_did.encode()).digest()[:8]) >> 1  # 63 bits


class Leadership:
    """Takes and keeps the node's background-work lock for this process."""

    def __init__(self, engine: Engine, *, retry: float = RETRY_S, key: int = LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._retry = retry
        self._shared = engine.dialect.name == "postgresql"
        self._session: Connection | None = None
        self.leading = False

    async def run(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `work` whenever this process leads, until cancelled: cancelled in turn when
        leadership is lost, started again when it is won back."""
        try:
            while True:
                if await self._take():
                    await self._lead(work)
                await asyncio.sleep(self._retry)
        finally:
            await run_in_threadpool(self._let_go)

    async def _lead(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        LOG.info("worker %d leads the background work", os.getpid())
        self.leading = True
        task = asyncio.create_task(work())
        try:
            while not task.done() and await self._still_held():
                with suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(task), self._retry)
        finally:
            self.leading = False
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        if task.done() and not task.cancelled() and task.exception() is not None:
            LOG.error("the background work failed", exc_info=task.exception())
        LOG.warning("worker %d no longer leads the background work", os.getpid())
        await run_in_threadpool(self._let_go)

    async def _take(self) -> bool:
        if not self._shared:
            return True
        try:
            return await run_in_threadpool(self._try_lock)
        except Exception:
            LOG.exception("could not ask the database for the background-work lock")
            await run_in_threadpool(self._let_go)
            return False

    def _try_lock(self) -> bool:
        if self._session is None:
            self._session = self._engine.connect()
        taken = self._session.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})
        self._session.commit()
        return bool(taken.scalar())

    async def _still_held(self) -> bool:
        if not self._shared:
            return True
        try:
            return await run_in_threadpool(self._ping)
        except Exception:
            LOG.exception("the session holding the background-work lock is gone")
            return False

    def _ping(self) -> bool:
        """Whether this session still holds the lock. The session's connection may have
        been replaced by a new one (SQLAlchemy reconnects an invalidated connection), which
        does not hold it: so the lock is looked for, not only the connection."""
        assert self._session is not None
        held = self._session.execute(HELD, {"hi": self._key >> 32, "lo": self._key & 0xFFFFFFFF})
        self._session.commit()
        return bool(held.scalar())

    def _let_go(self) -> None:
        """Close the lock's session (which releases the lock, if it was held)."""
        session, self._session = self._session, None
        if session is not None:
            with suppress(Exception):
                session.invalidate()
                session.close()
