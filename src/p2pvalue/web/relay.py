"""What one worker of a node commits, heard by the others: Redis pub/sub.

Each worker publishes, right after each commit, the ids of the committed events on the
node's channel; every other worker reads those events from the shared store and hands
them to its own listeners that serve open connections (the live feed, the access of open
document sockets). Only ids travel: the store stays the one source of the events, and a
private space's content never passes through Redis. A message lost while a worker is cut
off from Redis costs its live readers that item only; a feed reloaded shows it.

Pub/sub rather than PostgreSQL's LISTEN/NOTIFY: a notification's payload is limited to
8000 bytes and is queued in the database's shared memory, and NOTIFY inside a writing
transaction serialises every committing transaction on one global lock; Redis carries the
live documents' updates too (`collab.relay`), so one server does both.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence

import orjson
import redis

from p2pvalue.events.event import Event
from p2pvalue.node import Node
from p2pvalue.store.events import readable_events

LOG = logging.getLogger(__name__)
Hearer = Callable[[Sequence[Event], str | None], None]
POLL_S = 1.0
RETRY_S = 1.0


def channel_of(node: Node) -> str:
    return f"p2pvalue:{node.did}:committed"


class CommitRelay:
    """Publishes this worker's commits and hears the other workers'."""

    def __init__(self, node: Node, url: str, hearers: Sequence[Hearer]) -> None:
        self._node = node
        self._redis = redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30)
        self._channel = channel_of(node)
        self._hearers = list(hearers)
        self._worker = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="commit-relay", daemon=True)
        self._ready = threading.Event()

    def start(self, timeout: float = 10.0) -> None:
        """Start hearing the others and publishing this worker's commits (once subscribed,
        so that nothing published after `start` returns is missed)."""
        self._thread.start()
        self._ready.wait(timeout)
        self._node.writer.subscribe(self.publish)

    def close(self) -> None:
        self._node.writer.unsubscribe(self.publish)
        self._stop.set()
        self._thread.join(POLL_S * 5)
        self._redis.close()

    def publish(self, events: Sequence[Event], origin: str | None) -> None:
        """Tell the other workers what was just committed here. Never raises."""
        message = {"worker": self._worker, "ids": [e.id for e in events], "origin": origin}
        try:
            self._redis.publish(self._channel, orjson.dumps(message))
        except redis.RedisError:
            LOG.exception("could not tell the other workers of %d event(s)", len(events))

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                self._subscribed()
            except redis.RedisError:
                LOG.exception("lost Redis; hearing the other workers again in %s s", RETRY_S)
                time.sleep(RETRY_S)

    def _subscribed(self) -> None:
        with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
            pubsub.subscribe(self._channel)
            self._ready.set()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=POLL_S)
                if message is not None and message["type"] == "message":
                    self._heard(orjson.loads(message["data"]))

    def _heard(self, message: dict[str, object]) -> None:
        if message.get("worker") == self._worker:
            return
        ids = message.get("ids")
        origin = message.get("origin")
        if not isinstance(ids, list):
            return
        try:
            with self._node.engine.connect() as conn:
                events = readable_events(conn, [str(i) for i in ids])
            for hearer in self._hearers:
                hearer(events, origin if isinstance(origin, str) else None)
        except Exception:
            LOG.exception("could not hand on %d event(s) another worker committed", len(ids))
