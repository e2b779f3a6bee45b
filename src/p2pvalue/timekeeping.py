"""Keeping time for the spaces whose timekeeper lives on this node.

An author's `ts` is a claim, so no window is measured from it: a timekeeper (a member the
charter names, the founder by default) signs `clock.tick` events listing what the domains
say awaits a tick (open proposals, pending claims, …) that no tick listed yet, and their
windows start at the tick's time. Only a timekeeper closes a window that ran out (see
docs/security.md).
"""

from __future__ import annotations

from collections.abc import Callable

from p2pvalue.accounts import Account, Accounts
from p2pvalue.domain import Act
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority, timekeepers
from p2pvalue.events.types import TICK_SIZE
from p2pvalue.ingest import WritePath
from p2pvalue.store.directory import Directory

# What a tick in a space would start: the ids no tick listed yet, as every domain says.
Awaiting = Callable[[str, Authority], list[str]]


def local_timekeeper(accounts: Accounts, state: Authority) -> Account | None:
    """The first of the space's timekeepers whose account is on this node, if any."""
    for did in sorted(timekeepers(state)):
        account = accounts.by_did(did)
        if account is not None:
            return account
    return None


class Timekeeper:
    """Signs the ticks of the spaces whose timekeeper has an account on this node."""

    def __init__(
        self, directory: Directory, writer: WritePath, accounts: Accounts, act: Act,
        awaiting: Awaiting,
    ) -> None:  # fmt: skip
        self._directory = directory
        self._writer = writer
        self._accounts = accounts
        self._act = act
        self._awaiting = awaiting

    def tick(self) -> int:
        """Sign a tick in every space this node keeps time for that holds something
        unwitnessed; how many ticks were accepted."""
        emitted = 0
        for summary in self._directory.spaces(everyone=True):
            log = self._writer.log(summary.id)
            if log is None or log.authority is None:
                continue
            keeper = local_timekeeper(self._accounts, log.authority)
            if keeper is None:
                continue
            pending = self._awaiting(summary.id, log.authority)
            for start in range(0, len(pending), TICK_SIZE):
                content = {"events": pending[start : start + TICK_SIZE]}
                try:
                    outcome = self._act(keeper, summary.id, "clock.tick", content)
                except P2PError:
                    break
                emitted += outcome.status == "accepted"
        return emitted
