"""Live feed: each committed event that a connected member follows is handed to that
member's stream, as the feed would list it.

The write path calls `FeedStream.committed` after each commit, on the writer's thread; it
reads the follows of the connected members in one query and passes items to their event
loops. A stream's queue is bounded: a reader that falls behind gets `lagged` and is closed,
and reloads the feed's first page. A member who loses the right to read a private space
(removed, or gone) gets `revoked` with that space and the stream closes, from the commit
of the event that took the right away: no item of that space reaches them after it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import suppress
from typing import Any

import orjson
from sqlalchemy import Engine

from p2pvalue.events.event import Event
from p2pvalue.events.types import RANK_ORDINARY, rank
from p2pvalue.social.feed import item
from p2pvalue.store import social as store
from p2pvalue.store.social import PERSON, SPACE

QUEUE_SIZE = 256
HEARTBEAT_S = 15.0
LAGGED = object()


class Revoked:
    """The marker that ends a stream whose member may no longer read `space`."""

    def __init__(self, space: str) -> None:
        self.space = space


LOG = logging.getLogger(__name__)


class Subscription:
    """One open stream: a member, their event loop and a bounded queue of feed items."""

    def __init__(self, did: str, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self.did = did
        self.loop = loop
        self.queue: asyncio.Queue[Any] = asyncio.Queue(size + 1)  # one slot kept for LAGGED
        self.size = size
        self.lagged = False
        self.reads: set[str] = set()  # the private spaces its member may read, last we knew

    def offer(self, entry: dict[str, Any]) -> None:
        """Hand an item over from any thread; never blocks the writer."""
        self.loop.call_soon_threadsafe(self._put, entry)

    def revoke(self, space: str) -> None:
        """End the stream, from any thread: its member may no longer read `space`."""
        self.loop.call_soon_threadsafe(self._end, Revoked(space))

    def _end(self, marker: Revoked) -> None:
        if not self.lagged:
            self.lagged = True  # nothing more is queued; the slot kept for LAGGED takes it
            self.queue.put_nowait(marker)

    def _put(self, entry: dict[str, Any]) -> None:
        if self.lagged:
            return
        if self.queue.qsize() >= self.size:
            self.lagged = True
            self.queue.put_nowait(LAGGED)
        else:
            self.queue.put_nowait(entry)


class FeedStream:
    """The open streams of a node, fed by the write path."""

    def __init__(self, engine: Engine, queue_size: int = QUEUE_SIZE) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._open: list[Subscription] = []
        self._size = queue_size

    def open(self, did: str) -> Subscription:
        """Start listening for `did`, on the running event loop."""
        subscription = Subscription(did, asyncio.get_running_loop(), self._size)
        with self._lock:
            self._open.append(subscription)
        return subscription

    def note_readable(self, subscription: Subscription) -> None:
        """Note the private spaces the subscription's member may read now, so that losing
        one of them ends the stream (see `committed`)."""
        with self._engine.begin() as conn:
            subscription.reads = store.readable_private(conn, subscription.did)

    def close(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._open:
                self._open.remove(subscription)

    def connected(self) -> int:
        with self._lock:
            return len(self._open)

    def committed(self, events: Sequence[Event], origin: str | None = None) -> None:
        """Pass each accepted event to the streams of the members who follow its space or
        its author. Never raises: the events are committed whatever becomes of a stream."""
        try:
            self._deliver(events)
        except Exception:
            LOG.exception("live feed: %d committed event(s) not delivered", len(events))

    def _deliver(self, events: Sequence[Event]) -> None:
        with self._lock:
            listening = list(self._open)
        if not listening:
            return
        spaces, authors = {e.space for e in events}, {e.author for e in events}
        governed = {e.space for e in events if rank(e.type) != RANK_ORDINARY}
        with self._engine.begin() as conn:
            if governed:
                _revoke(listening, store.readers_of(conn, governed))
            follows = store.followers_of(conn, {s.did for s in listening}, spaces, authors)
            if not follows:
                return
            rows = store.rows_by_ids(conn, [e.id for e in events])
            hidden = store.hidden_spaces(conn, {s.did for s in listening})
        wanted: dict[str, set[tuple[str, str]]] = {}
        for follower, kind, target in follows:
            wanted.setdefault(follower, set()).add((kind, target))
        for subscription in listening:
            mine = wanted.get(subscription.did, set())
            for row in rows:
                if row.space in hidden[subscription.did]:
                    continue
                if row.accepted and ((SPACE, row.space) in mine or (PERSON, row.author) in mine):
                    _offer(subscription, item(row), self)

    async def events(self, subscription: Subscription, heartbeat: float) -> AsyncIterator[bytes]:
        """The stream's bytes (server-sent events) until it lags or the reader leaves."""
        try:
            yield b"event: ready\ndata: {}\n\n"
            while True:
                try:
                    entry = await asyncio.wait_for(subscription.queue.get(), heartbeat)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if entry is LAGGED:
                    yield b'event: lagged\ndata: {"reload": true}\n\n'
                    return
                if isinstance(entry, Revoked):
                    body = orjson.dumps({"space": entry.space, "reload": True})
                    yield b"event: revoked\ndata: %s\n\n" % body
                    return
                yield sse(entry)
        finally:
            self.close(subscription)


def sse(entry: dict[str, Any]) -> bytes:
    return b"id: %s\nevent: item\ndata: %s\n\n" % (
        entry["cursor"].encode(),
        orjson.dumps(entry),
    )


def _revoke(listening: Sequence[Subscription], readers: dict[str, set[str]]) -> None:
    """End the streams of members who could read one of these private spaces and no longer
    may; note those who now may."""
    for subscription in listening:
        for space, dids in readers.items():
            if subscription.did in dids:
                subscription.reads.add(space)
            elif space in subscription.reads:
                subscription.reads.discard(space)
                with suppress(RuntimeError):  # its event loop has closed: the reader is gone
                    subscription.revoke(space)


def _offer(subscription: Subscription, entry: dict[str, Any], stream: FeedStream) -> None:
    try:
        subscription.offer(entry)
    except RuntimeError:  # its event loop has closed: the reader is gone
        stream.close(subscription)
