"""The node's side of value accounting: the space's ledger and reputation (cached until its
log changes), refusals before anything is stored, payouts and bounties, and closing the
claims whose lazy-acceptance window passed.

The rules themselves are pure (`accounting.ledger`, `accounting.reputation`); this module
reads the log and builds the events a node's own members emit.
"""

from __future__ import annotations

import threading
from typing import Any

from p2pvalue.accounting import bounties, sweep
from p2pvalue.accounting.ledger import check, reputation_input, unwitnessed_claims
from p2pvalue.accounting.model import Ledger, ValueEvent
from p2pvalue.accounting.payout_plan import charter_plan, run_content
from p2pvalue.accounting.payouts import Payout
from p2pvalue.accounting.refusals import VALUE_REFUSALS
from p2pvalue.accounting.reputation import ReputationResult, reputation
from p2pvalue.accounting.state import Ledgers
from p2pvalue.accounting.types import value_policy
from p2pvalue.accounts import Account
from p2pvalue.domain import Wiring
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.authority import Authority
from p2pvalue.events.event import now_ms
from p2pvalue.events.types import parse_content
from p2pvalue.ingest import Outcome
from p2pvalue.timekeeping import local_timekeeper


class Value:
    """Contributions, reviews, income and payouts as a node's members take part in them."""

    def __init__(self, wiring: Wiring) -> None:
        self.writer = wiring.writer
        self.accounts = wiring.accounts
        self.directory = wiring.directory
        self.clock = wiring.clock
        self.act = wiring.act
        self.tick = wiring.tick
        self.ledgers = Ledgers(wiring.writer, wiring.snapshots)
        self._reputations: dict[str, tuple[Ledger, ReputationResult]] = {}

    def reputation(self, space: str) -> ReputationResult:
        """The space's graph reputation, derived from its ledger (cached until the log changes)."""
        ledger = self.ledger(space)
        cached = self._reputations.get(space)
        if cached is not None and cached[0] is ledger:
            return cached[1]
        members = [m["did"] for m in self.directory.members(space) if m["status"] == "member"]
        result = reputation(reputation_input(ledger, members))
        self._reputations[space] = (ledger, result)
        return result

    def close_due_claims(self, stop: threading.Event | None = None) -> int:
        """Accept, by a signed `contribution.close`, every claim whose lazy-acceptance window
        passed undisputed, in the spaces whose timekeeper lives here (their windows start
        at the timekeeper's ticks, see `timekeeping`), many to a transaction. The node runs
        this itself (see the web app), so no cron is needed; it ends early, between two
        batches, once `stop` is set (the node is shutting down)."""
        closed = 0
        self.tick()
        for summary in self.directory.spaces(everyone=True):
            lazy = ((summary.charter.get("value") or {}).get("acceptance") or {}).get("lazy_hours")
            log = self.writer.log(summary.id)
            if lazy is None or log is None or log.authority is None:
                continue
            account = local_timekeeper(self.accounts, log.authority)
            if account is None:
                continue
            key = self.accounts.key_of(account)
            done, stopped = sweep.close_due(
                self.writer, self.ledgers, key, summary.id, lazy, self.clock, stop
            )
            closed += done
            if stopped:
                break
        return closed

    def unwitnessed(self, space: str, state: Authority) -> list[str]:
        """The pending claims no timekeeper's tick listed yet (their window has not started)."""
        return unwitnessed_claims(self.ledger(space)) if value_policy(state.charter) else []

    def payout_plan(
        self, space: str, currency: str, budget: int, at: int, earmark: str | None = None
    ) -> Payout:
        """What paying out `budget` at `at` would give each member, by the charter's policy,
        out of the pot of `earmark` (None: the income recorded without one)."""
        value = self.directory.space(space).charter.get("value")
        return charter_plan(self.ledger(space), value, currency, budget, at, earmark)

    def pay_out(
        self, account: Account, space: str, currency: str, budget: int,
        earmark: str | None = None,
    ) -> Outcome:  # fmt: skip
        """Record a payout run: the plan's allocations, signed with the time they were planned."""
        at = now_ms()
        payout = self.payout_plan(space, currency, budget, at, earmark)
        return self.act(account, space, "payout.run", run_content(payout, currency, earmark), ts=at)

    def pay_bounty(self, account: Account, space: str, claim_id: str) -> Outcome:
        """Pay an accepted claim's money bounty: out of its project's earmarked income when
        that holds enough, else out of the income recorded without an earmark."""
        ledger = self.ledger(space)
        claim = ledger.claims.get(claim_id)
        if claim is None:
            raise NotFound("unknown_claim", f"no claim {claim_id!r} in this space")
        if claim.bounty is None:
            raise P2PError("no_bounty", VALUE_REFUSALS["no_bounty"], 422)
        amount, currency = claim.bounty
        project = claim.project
        earmark = project if project and ledger.balance(currency, project) >= amount else None
        return self.act(account, space, "bounty.pay", bounties.pay_content(claim, earmark))

    def rebuild(self) -> None:
        """Drop the ledgers and reputations derived from the logs; the next read refolds."""
        self.ledgers.forget()
        self._reputations.clear()

    def ledger(self, space_id: str) -> Ledger:
        """The space's ledger, folded from its log (kept up to date as the log grows)."""
        return self.ledgers.ledger(space_id)

    def precheck(
        self, account: Account, space: str, type: str, content: dict[str, Any], ts: int
    ) -> None:
        """Refuse a value action the ledger would void (a review of one's own claim, evidence
        claimed twice, a payout beyond the balance, …): nothing is signed or stored."""
        parse_content(type, content)
        log = self.writer.log(space)
        if log is None or log.authority is None:
            raise NotFound("unknown_space", f"no space {space!r} on this node")
        proposed = ValueEvent("-", type, account.did, ts, content, log.authority)
        reason = check(self.ledger(space), proposed)
        if reason is not None:
            raise P2PError(reason, VALUE_REFUSALS.get(reason, reason), 422)
