"""The timekeeper's sweep: claims whose lazy-acceptance window passed undisputed are
accepted by `contribution.close` events it signs, many to a transaction.

Each batch is checked against the ledger as it stands (as a local action is), signed as a
chain and committed in one transaction, so a sweep that is asked to stop between two
batches leaves nothing half-written, and a long backlog (an imported history) is cleared
at the write path's batch rate rather than one transaction per claim.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from p2pvalue.accounting.ledger import check, due_claims
from p2pvalue.accounting.model import ValueEvent
from p2pvalue.accounting.state import Ledgers
from p2pvalue.errors import P2PError
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.log import SpaceLog

CLOSE = "contribution.close"
BATCH = 500  # closes signed and committed together


class Decided(Protocol):
    """What became of one event signed (the write path's `Outcome`)."""

    @property
    def status(self) -> str: ...


class Writer(Protocol):
    """What the sweep needs of the write path."""

    def log(self, space: str) -> SpaceLog | None: ...

    def act_many(
        self, space: str, actions: Sequence[tuple[KeyPair, str, dict[str, Any]]]
    ) -> Sequence[Decided]: ...


def close_due(
    writer: Writer, ledgers: Ledgers, key: KeyPair, space: str, lazy_hours: int,
    clock: Callable[[], int], stop: threading.Event | None = None,
) -> tuple[int, bool]:  # fmt: skip
    """Close the space's due claims as the timekeeper `key`, `BATCH` to a transaction;
    how many were accepted, and whether it stopped early because `stop` was set."""
    closed = 0
    due = [claim.id for claim in due_claims(ledgers.ledger(space), lazy_hours, clock())]
    for start in range(0, len(due), BATCH):
        if stop is not None and stop.is_set():
            return closed, True
        closes = closable(writer, ledgers, key.did, space, due[start : start + BATCH], clock())
        if not closes:
            continue
        try:
            outcomes = writer.act_many(space, [(key, CLOSE, {"claim": c}) for c in closes])
        except P2PError:
            break  # the space went away, or its key: the next sweep tries again
        closed += sum(outcome.status == "accepted" for outcome in outcomes)
    return closed, False


def closable(
    writer: Writer, ledgers: Ledgers, did: str, space: str, claims: list[str], at: int
) -> list[str]:
    """Those of `claims` that a close by `did` at `at` would accept now."""
    log = writer.log(space)
    if log is None or log.authority is None:
        return []
    ledger = ledgers.ledger(space)
    return [
        claim for claim in claims
        if check(ledger, ValueEvent("-", CLOSE, did, at, {"claim": claim}, log.authority)) is None
    ]  # fmt: skip
