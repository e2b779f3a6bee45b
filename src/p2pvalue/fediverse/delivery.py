"""Delivery to the fediverse: what to send when events are committed, and the worker that
sends it.

Each accepted public post, thread post or decision committed here (this node's own, or
received from another node) becomes the group's `Announce`, queued in `ap_deliveries`
once per follower inbox (a server's shared inbox when it has one); an erased post (or
thread post) becomes its author's `Delete`. The worker signs each delivery when it sends
it (cavage rsa-sha256 as the sending actor, so the Date is fresh), and retries a failed
one with exponential backoff: a 2xx answer delivers it, a 4xx other than 401, 408 and 429
means the inbox will never take it, and after `MAX_ATTEMPTS` it is dropped. An inbox no
request may go to (`outbound`) is dropped unsent. The queue is a table: a restarted node resumes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from anyio import to_thread

from p2pvalue import outbound, queues
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.event import Event, now_ms
from p2pvalue.fediverse import activities
from p2pvalue.fediverse.actors import ACTIVITY_JSON, is_public
from p2pvalue.fediverse.signatures import sign
from p2pvalue.store import activitypub as store
from p2pvalue.store.database import writing

if TYPE_CHECKING:
    from p2pvalue.fediverse import Fediverse

LOG = logging.getLogger(__name__)
MAX_ANSWER_BYTES = 256 * 1024  # an inbox answers a delivery briefly, if at all
ERASE = "content.erase"
DUE_AT_ONCE = 200
PARALLEL = 8
MAX_ATTEMPTS = 16
MAX_BACKOFF_S = 3600
SEND_SECONDS = 15.0
RETRIED_4XX = frozenset({401, 408, 429})


def backoff_ms(attempts: int) -> int:
    return queues.backoff_ms(attempts, MAX_BACKOFF_S)


def body(activity: Mapping[str, Any]) -> bytes:
    """An activity as it is sent."""
    return orjson.dumps(activity)


def inboxes(followers: Iterable[store.Follower]) -> list[str]:
    """Where to deliver to reach every follower once: a server's shared inbox stands for all
    its followers who name it."""
    return sorted({f.shared_inbox or f.inbox for f in followers})


def rows_for(fediverse: Fediverse, events: Sequence[Event]) -> list[tuple[str, str, bytes]]:
    """(inbox, signing actor, body) of every delivery that `events`, just committed, call
    for: announces of accepted public items, deletes of erased posts."""
    wiring = fediverse.wiring
    rows: list[tuple[str, str, bytes]] = []
    for space in sorted({event.space for event in events}):
        try:
            summary = wiring.directory.space(space)
        except NotFound:
            continue
        if not is_public(summary):
            continue
        with wiring.engine.begin() as conn:
            targets = inboxes(store.followers(conn, space))
        if not targets:
            continue
        log = wiring.writer.log(space)
        reasons = log.reasons if log is not None else {}
        for event in events:
            if event.space != space or event.id not in reasons or reasons[event.id] is not None:
                continue  # not this space's, or stored as rejected
            for actor, activity in _activities(fediverse, event):
                rows += [(inbox, actor, body(activity)) for inbox in targets]
    return rows


def _activities(fediverse: Fediverse, event: Event) -> list[tuple[str, dict[str, Any]]]:
    urls = fediverse.urls
    if event.type == ERASE:
        erased = [_erased_post(fediverse, e, event.author) for e in event.content["events"]]
        return [(urls.member(event.author), activities.delete(urls, e, event.author))
                for e in erased if e is not None]  # fmt: skip
    item = fediverse.item_of(event.id, event.space, event.type, event.author, event.ts,
                             event.content)  # fmt: skip
    if item is None:
        return []
    return [(urls.group(event.space), activities.announce(urls, item))]


def _erased_post(fediverse: Fediverse, event_id: str, author: str) -> str | None:
    """`event_id`, if it is a post or thread post of `author`'s (so it was announced): it
    can be deleted."""
    try:
        stored = fediverse.wiring.directory.event(event_id)
    except NotFound:
        return None
    announced = stored.type in activities.AUTHORED_TYPES and stored.author == author
    return event_id if announced else None


async def run_deliveries(fediverse: Fediverse, client: outbound.Outbound) -> int:
    """Send every due delivery, a few at a time; how many were delivered."""
    due = await to_thread.run_sync(_due, fediverse)
    limit = asyncio.Semaphore(PARALLEL)

    async def one(delivery: store.Delivery) -> bool:
        async with limit:
            return await _send(fediverse, client, delivery)

    return sum(await asyncio.gather(*(one(d) for d in due)))


async def _send(fediverse: Fediverse, client: outbound.Outbound, delivery: store.Delivery) -> bool:
    try:
        await outbound.check_url(delivery.inbox, fediverse.outbound)
    except P2PError as refused:
        await to_thread.run_sync(_failed, fediverse, delivery, refused.code, False)
        return False
    except OSError as error:
        await to_thread.run_sync(_failed, fediverse, delivery, f"no address: {error}", True)
        return False
    signed = sign(fediverse.key, f"{delivery.actor}#main-key", "POST", delivery.inbox,
                  delivery.body, datetime.now(UTC))  # fmt: skip
    headers = {**signed, "Content-Type": ACTIVITY_JSON, "Accept": ACTIVITY_JSON}
    try:
        response = await client.post(delivery.inbox, content=delivery.body, headers=headers)
    except outbound.RefusedDestination as refused:
        await to_thread.run_sync(_failed, fediverse, delivery, refused.code, False)
        return False
    except httpx.HTTPError as error:
        await to_thread.run_sync(_failed, fediverse, delivery, f"{type(error).__name__}: {error}",
                                 True)  # fmt: skip
        return False
    if response.is_success:
        await to_thread.run_sync(_delivered, fediverse, delivery.id)
        return True
    retry = response.status_code >= 500 or response.status_code in RETRIED_4XX
    answer = f"{response.status_code} {response.text[:120]}"
    await to_thread.run_sync(_failed, fediverse, delivery, answer, retry)
    return False


def _due(fediverse: Fediverse) -> list[store.Delivery]:
    with fediverse.wiring.engine.begin() as conn:
        return store.due(conn, now_ms(), DUE_AT_ONCE)


def _delivered(fediverse: Fediverse, delivery_id: int) -> None:
    with writing(fediverse.wiring.engine) as conn:
        store.delivered(conn, [delivery_id])


def _failed(fediverse: Fediverse, delivery: store.Delivery, error: str, retry: bool) -> None:
    attempts = delivery.attempts + 1
    LOG.info("delivery %d to %s failed (%s)", delivery.id, delivery.inbox, error)
    with writing(fediverse.wiring.engine) as conn:
        if not retry or attempts >= MAX_ATTEMPTS:
            LOG.warning("dropping delivery %d to %s: %s", delivery.id, delivery.inbox, error)
            store.delivered(conn, [delivery.id])
        else:
            store.failed(conn, delivery.id, now_ms() + backoff_ms(attempts), error)


class Deliverer:
    """Sends a node's fediverse deliveries while its web app runs: `run()` until cancelled,
    then `close()`. Woken at once when something is queued, else every second."""

    def __init__(self, fediverse: Fediverse, *, transport: Any = None) -> None:
        self.fediverse = fediverse
        self.client = outbound.Outbound(
            fediverse.outbound, timeout=SEND_SECONDS, max_bytes=MAX_ANSWER_BYTES,
            transport=transport,
        )  # fmt: skip
        self._wake = asyncio.Event()
        loop = asyncio.get_running_loop()

        def registered() -> None:
            loop.call_soon_threadsafe(self._wake.set)

        self._registered = registered
        fediverse.wake.append(registered)

    async def run(self) -> None:
        """Deliver what is due, round after round, until cancelled."""
        if not self.fediverse.enabled:
            return
        await queues.work_when_woken(
            self._wake, lambda: run_deliveries(self.fediverse, self.client),
            "delivering to the fediverse",
        )  # fmt: skip

    async def close(self) -> None:
        with suppress(ValueError):
            self.fediverse.wake.remove(self._registered)
        await self.client.aclose()
