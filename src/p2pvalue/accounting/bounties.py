"""Money bounties: a task's promised amount, carried by the claim its completion drafts,
paid out of the space's pot once the claim is accepted (`bounty.pay`).

The claim carries the bounty so that its reviewers approve the work and its price together;
the payment is then checked against the claim alone, so every node judges it the same way:
the claim is accepted and unpaid, the amount and currency are its bounty's, the pot (the
claim's project's earmark, or the income recorded without one) holds enough, and the
amount is split by the claim's shares, largest remainder first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from p2pvalue.accounting.model import Claim
from p2pvalue.accounting.money import largest_remainder
from p2pvalue.wording import N_

REFUSALS = {
    "no_bounty": N_("the claim carries no money bounty"),
    "claim_not_accepted": N_("a bounty is paid once its claim is accepted"),
    "bounty_already_paid": N_("this claim's bounty was paid already"),
    "bounty_mismatch": N_("the amount or currency differs from the claim's bounty"),
    "wrong_pot": N_("a bounty is paid from its claim's project's earmark or the general pot"),
}


def split(amount: int, shares: Mapping[str, int]) -> dict[str, int]:
    """The bounty in minor units by the claim's shares (basis points), summing exactly."""
    return {member: part for member, part in largest_remainder(amount, shares).items() if part}


def refusal(claim: Claim | None, content: Mapping[str, Any], balance: int) -> str | None:
    """Why a `bounty.pay` of `claim` (the ledger's claim, or None if unknown) cannot stand,
    with `balance` in the pot it names; None if it can."""
    if claim is None:
        return "unknown_claim"
    if claim.bounty is None:
        return "no_bounty"
    if claim.status != "accepted":
        return "claim_not_accepted"
    if claim.bounty_paid is not None:
        return "bounty_already_paid"
    if (content["amount"], content["currency"]) != claim.bounty:
        return "bounty_mismatch"
    if content.get("earmark") not in (None, claim.project):
        return "wrong_pot"
    if balance < content["amount"]:
        return "insufficient_balance"
    if dict(content["allocations"]) != split(content["amount"], claim.shares):
        return "allocation_mismatch"
    return None


def pay_content(claim: Claim, earmark: str | None) -> dict[str, Any]:
    """The `bounty.pay` content that pays `claim`'s bounty out of `earmark`'s pot."""
    assert claim.bounty is not None
    amount, currency = claim.bounty
    content = {"claim": claim.id, "currency": currency, "amount": amount,
               "allocations": split(amount, claim.shares)}  # fmt: skip
    return {**content, "earmark": earmark} if earmark is not None else content
