"""Delivery of sealed direct messages to the home nodes of their recipients.

`Messages.send` queues a message for another node in `message_outbox`, in the same
transaction as the sender's copy; the courier POSTs each one to that node's
`/federation/v1/messages`, signed with this node's key (RFC 9421, `NodeAuth`), through
`outbound` (so only to an address the node may reach). The row is
the state, so a restarted node resumes where it stopped:

    queued --2xx--> delivered
    queued --4xx but 401, 408, 429--> refused      (the node will never take it)
    queued --an address `outbound` refuses--> refused
    queued --5xx, 401, 408, 429, no answer--> queued again after a backoff
    queued --MAX_ATTEMPTS failures--> failed

Each outcome but the retry ends the row and is written on the sender's copy (`delivery`).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from anyio import to_thread

from p2pvalue import outbound, queues
from p2pvalue.events.canonical import b64u
from p2pvalue.events.event import now_ms
from p2pvalue.federation.signatures import NodeAuth
from p2pvalue.social import Social
from p2pvalue.social.messages import DELIVERED, FAILED, REFUSED
from p2pvalue.store import message_outbox as store
from p2pvalue.store import messages
from p2pvalue.store.database import writing

if TYPE_CHECKING:
    from p2pvalue.domain import Wiring

LOG = logging.getLogger(__name__)
PATH = "/federation/v1/messages"
DUE_AT_ONCE = 200
PARALLEL = 8
MAX_ATTEMPTS = 34  # doubling to an hour apart: about a day of trying
MAX_BACKOFF_S = 3600
SEND_SECONDS = 30.0
RETRIED_4XX = frozenset({401, 408, 429})
MAX_ANSWER_BYTES = 256 * 1024  # an answer to a delivery is a short JSON object


def backoff_ms(attempts: int) -> int:
    return queues.backoff_ms(attempts, MAX_BACKOFF_S)


def delivery_body(queued: store.Queued) -> bytes:
    """A queued message as it is sent to the recipient's node."""
    return orjson.dumps({
        "from": queued.sender, "to": queued.recipient, "ciphertext": b64u(queued.ciphertext),
        "signature": b64u(queued.signature), "sent_at": queued.sent_at,
    })  # fmt: skip


def outcome_of(status: int) -> str | None:
    """What an answer means for a delivery: delivered, refused, or None to try again."""
    if 200 <= status < 300:
        return DELIVERED
    if 400 <= status < 500 and status not in RETRIED_4XX:
        return REFUSED
    return None


class MessageCourier:
    """Delivers a node's queued messages while its web app runs: `run()` until cancelled,
    then `close()`. Woken at once when a message is queued, else every second."""

    def __init__(self, wiring: Wiring, *, transport: Any = None) -> None:
        self.wiring = wiring
        self.client = outbound.Outbound(
            outbound.Policy.of(wiring.config.outbound_allow), auth=NodeAuth(wiring.key),
            timeout=SEND_SECONDS, max_bytes=MAX_ANSWER_BYTES, transport=transport,
        )  # fmt: skip
        self._wake = asyncio.Event()
        loop = asyncio.get_running_loop()

        def registered() -> None:
            loop.call_soon_threadsafe(self._wake.set)

        self._registered = registered
        wiring.service(Social).messages.wake.append(registered)

    async def run(self) -> None:
        """Deliver what is due, round after round, until cancelled."""
        await queues.work_when_woken(
            self._wake, self.deliver_due, "delivering messages to other nodes"
        )

    async def close(self) -> None:
        with suppress(ValueError):
            self.wiring.service(Social).messages.wake.remove(self._registered)
        await self.client.aclose()

    async def deliver_due(self) -> int:
        """Send every due message, a few at a time; how many were delivered."""
        due = await to_thread.run_sync(self._due)
        limit = asyncio.Semaphore(PARALLEL)

        async def one(queued: store.Queued) -> bool:
            async with limit:
                return await self._send(queued)

        return sum(await asyncio.gather(*(one(q) for q in due)))

    async def _send(self, queued: store.Queued) -> bool:
        try:
            response = await self.client.post(
                queued.url + PATH, content=delivery_body(queued),
                headers={"content-type": "application/json"},
            )  # fmt: skip
        except outbound.RefusedDestination as refused:
            # The recipient's home is an address this node sends nothing to: never delivered.
            await to_thread.run_sync(self._ended, queued, REFUSED, f"{refused.code}: {refused}")
            return False
        except httpx.HTTPError as error:
            await to_thread.run_sync(self._ended, queued, None, f"{type(error).__name__}: {error}")
            return False
        outcome = outcome_of(response.status_code)
        answer = f"{response.status_code} {response.text[:120]}"
        await to_thread.run_sync(self._ended, queued, outcome, answer)
        return outcome == DELIVERED

    def _due(self) -> list[store.Queued]:
        with self.wiring.engine.begin() as conn:
            return store.due(conn, now_ms(), DUE_AT_ONCE)

    def _ended(self, queued: store.Queued, outcome: str | None, answer: str) -> None:
        """Record one attempt: the outcome, or a retry after a backoff, or failure after
        the last attempt."""
        attempts = queued.attempts + 1
        if outcome is None and attempts >= MAX_ATTEMPTS:
            outcome = FAILED
        if outcome is None:
            LOG.info("message %s to %s not delivered (%s)", queued.digest, queued.url, answer)
            with writing(self.wiring.engine) as conn:
                store.failed(conn, queued.id, now_ms() + backoff_ms(attempts), answer)
            return
        if outcome != DELIVERED:
            LOG.warning("message %s to %s %s: %s", queued.digest, queued.url, outcome, answer)
        with writing(self.wiring.engine) as conn:
            store.done(conn, queued.id)
            messages.set_delivery(conn, queued.digest, outcome)
