"""What passed proposals do to the ledger: approved treasury spends leave the balance, and
disputes handed to governance (`disputes: {"rule": "proposal"}`) are settled.

The ledger reads a proposal's `proposal.close`: its stated outcome (checked by every node
against the ballots in its causal past) and the action of the proposal as the close saw it.
A spend beyond the balance by then, or a resolution of a claim that is no longer disputed,
takes no effect and is listed in `Ledger.void`, like any other value event.
"""

from __future__ import annotations

from typing import Any

from p2pvalue.accounting.model import Ledger, Spend, ValueEvent

LEDGER_ACTIONS = ("treasury.spend", "contribution.resolve")


def ledger_action(event: ValueEvent) -> dict[str, Any] | None:
    """The action a `proposal.close` carries out on the ledger, or None if it has none."""
    if event.content.get("outcome") != "passed":
        return None
    proposal = event.authority.proposals.get(event.content["proposal"])
    if proposal is None or proposal.action["type"] not in LEDGER_ACTIONS:
        return None
    return {**proposal.action, "proposal": proposal.id}


def check_decision(ledger: Ledger, event: ValueEvent) -> str | None:
    action = ledger_action(event)
    if action is None:
        return None
    if action["type"] == "treasury.spend":
        if ledger.balance(action["currency"]) < action["amount"]:
            return "insufficient_balance"
        return None
    claim = ledger.claims.get(action["claim"])
    if claim is None:
        return "unknown_claim"
    return None if claim.status == "disputed" else "claim_not_disputed"


def apply_decision(ledger: Ledger, event: ValueEvent) -> None:
    action = ledger_action(event)
    if action is None:
        return
    if action["type"] == "treasury.spend":
        currency, amount = action["currency"], action["amount"]
        spend = Spend(event.id, action["proposal"], amount, currency, action["to"], event.ts)
        ledger.spends.append(spend)
        ledger.paid_out[currency] = ledger.paid_out.get(currency, 0) + amount
        ledger.pots[(currency, None)] = ledger.pots.get((currency, None), 0) - amount
        return
    claim = ledger.claims[action["claim"]]
    claim.status = "accepted" if action["accept"] else "rejected"
    claim.decided_by = event.id
