"""What the node's delivery queues share — the federation outbox, messages to members of
other nodes, activities for fediverse inboxes: the stored row is the state, a worker works
through what is due whenever it is woken (and at least once a second), and a failed
attempt is tried again later, doubling the wait."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from contextlib import suppress

LOG = logging.getLogger(__name__)


def backoff_ms(attempts: int, cap_s: int) -> int:
    """When to try again after `attempts` failures: doubling from one second up to `cap_s`,
    with a random tenth added so that retries to a peer that comes back spread out."""
    seconds = min(2**attempts, cap_s)
    return int(seconds * 1000 * (1 + random.random() / 10))


async def work_when_woken(
    wake: asyncio.Event, work: Callable[[], Awaitable[object]], what: str
) -> None:
    """Run `work` each time `wake` is set, and at least once a second, until cancelled; a
    round that fails is logged (as failing at `what`) and the next one tries again."""
    while True:
        with suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), 1.0)
        wake.clear()
        try:
            await work()
        except Exception:
            LOG.exception("%s failed; trying again", what)
