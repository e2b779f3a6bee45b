"""Keeping time for the spaces whose timekeeper lives on this node.

An author's `ts` is a claim, so no window is measured from it: a timekeeper (a member the
charter names, the founder by default) signs `clock.tick` events listing the open proposals
and pending claims it holds that no tick listed yet, and their windows start at the tick's
time. Only a timekeeper closes a window that ran out (see docs/security.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from p2pvalue.accounting.ledger import unwitnessed_claims
from p2pvalue.accounting.types import value_policy
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority, timekeepers
from p2pvalue.events.types import TICK_SIZE
from p2pvalue.governance.proposals import OPEN

if TYPE_CHECKING:
    from p2pvalue.node import Node


def local_timekeeper(node: Node, state: Authority) -> Account | None:
    """The first of the space's timekeepers whose account is on this node, if any."""
    for did in sorted(timekeepers(state)):
        account = node.accounts.by_did(did)
        if account is not None:
            return account
    return None


def unwitnessed(node: Node, space: str, state: Authority) -> list[str]:
    """What a tick in `space` would start: open proposals and pending claims no tick listed."""
    proposals = sorted(
        p.id for p in state.proposals.values() if p.status == OPEN and p.witnessed is None
    )
    claims = unwitnessed_claims(node.ledger(space)) if value_policy(state.charter) else []
    return proposals + claims


def tick(node: Node) -> int:
    """Sign a tick in every space this node keeps time for that holds something unwitnessed;
    how many ticks were accepted."""
    emitted = 0
    for summary in node.spaces(everyone=True):
        log = node.writer.log(summary.id)
        if log is None or log.authority is None:
            continue
        keeper = local_timekeeper(node, log.authority)
        if keeper is None:
            continue
        pending = unwitnessed(node, summary.id, log.authority)
        for start in range(0, len(pending), TICK_SIZE):
            content = {"events": pending[start : start + TICK_SIZE]}
            try:
                outcome = node.act(keeper, summary.id, "clock.tick", content)
            except P2PError:
                break
            emitted += outcome.status == "accepted"
    return emitted
