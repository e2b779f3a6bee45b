"""Taking folded events back off a ledger, latest first, so that the suffix of a log whose
order or decisions changed can be folded again without refolding the whole history.

`applied` folds one event as `ledger.apply_event` does and returns what that event could
have changed, as it was before: the claims it names, the evidence it files, the money
figures when it moves money, an alias. `undo` puts those back. A claim is copied before the
event changes it and the original kept in the record, so a claim object, once in a ledger
someone read, is never changed (see `published`). Undoing the records of the
last events in reverse order gives exactly the ledger that folding the events before them
gives, dict order included (a restored key keeps its place, a new one is removed).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

from p2pvalue.accounting.decisions import ledger_action
from p2pvalue.accounting.ledger import DECISION, IMPORT_REVIEW, TICK, apply_event
from p2pvalue.accounting.model import Claim, Ledger, Pot, ValueEvent

# The event types that move money, and so may change the money figures of the ledger.
# A confirmed alias takes over what payouts held for it, so it moves money figures too.
MONEY = frozenset({"income.record", "payout.run", "bounty.pay", DECISION, "alias.confirm"})
IMPORT = "contribution.import"
CLAIMS = frozenset({"contribution.claim", IMPORT})
ALIASES = frozenset({"alias.claim", "alias.confirm"})
T = TypeVar("T")


@dataclass(frozen=True)
class Money:
    """The ledger's money figures as they were (small: one entry per currency or member)."""

    received: dict[str, int]
    paid_out: dict[str, int]
    paid: dict[str, dict[str, int]]
    pots: dict[Pot, int]
    paid_from: dict[Pot, dict[str, int]]
    lengths: tuple[int, int, int]  # of income, payouts, spends


@dataclass(frozen=True)
class Undo:
    """What one folded event may have changed, as it was before that event."""

    event: str
    claims: tuple[tuple[str, Claim | None], ...]
    evidence: tuple[tuple[str, str | None], ...]
    money: Money | None
    alias: tuple[str, str | None, set[str] | None] | None
    unclaimed: tuple[tuple[str, set[str] | None], ...] = ()


def published(ledger: Ledger) -> Ledger:
    """A ledger equal to `ledger` to fold further events into (with `applied`) while
    `ledger` stays as it is for whoever holds it: its containers are copied, and the claims
    it shares with the copy are copied before they change."""
    return Ledger(
        claims=dict(ledger.claims), evidence=dict(ledger.evidence),
        income=list(ledger.income), payouts=list(ledger.payouts),
        received=dict(ledger.received), paid_out=dict(ledger.paid_out),
        paid={currency: dict(paid) for currency, paid in ledger.paid.items()},
        void=dict(ledger.void), aliases=dict(ledger.aliases),
        alias_claims={alias: set(claims) for alias, claims in ledger.alias_claims.items()},
        pots=dict(ledger.pots),
        paid_from={pot: dict(paid) for pot, paid in ledger.paid_from.items()},
        spends=list(ledger.spends),
        unclaimed={alias: set(claims) for alias, claims in ledger.unclaimed.items()},
    )  # fmt: skip


def applied(ledger: Ledger, event: ValueEvent) -> Undo:
    """Fold `event` into `ledger` (check, then effect or void) and say how to take it back.
    The claims it may change are replaced by copies first; the record keeps the originals."""
    changed = _claims_of(ledger, event)
    claims = tuple((claim_id, ledger.claims.get(claim_id)) for claim_id in changed)
    for claim_id, claim in claims:
        if claim is not None:
            ledger.claims[claim_id] = _copy(claim)
    record = Undo(
        event.id,
        claims,
        tuple((item, ledger.evidence.get(item)) for item in _evidence_of(event)),
        _money(ledger) if event.type in MONEY else None,
        _alias(ledger, event) if event.type in ALIASES else None,
        tuple((a, _copied(ledger.unclaimed.get(a))) for a in _aliases_of(event)),
    )
    apply_event(ledger, event)
    return record


def undo(ledger: Ledger, record: Undo) -> None:
    """Take back the last event folded into `ledger`, whose record `record` is."""
    ledger.void.pop(record.event, None)
    for claim_id, claim in record.claims:
        if claim is None:
            ledger.claims.pop(claim_id, None)
        else:
            ledger.claims[claim_id] = claim
    for item, owner in record.evidence:
        if owner is None:
            ledger.evidence.pop(item, None)
        else:
            ledger.evidence[item] = owner
    if record.money is not None:
        _restore_money(ledger, record.money)
    if record.alias is not None:
        alias, owner, claimants = record.alias
        _restore(ledger.aliases, alias, owner)
        _restore(ledger.alias_claims, alias, claimants)
    for alias, claim_ids in record.unclaimed:
        _restore(ledger.unclaimed, alias, claim_ids)


def _claims_of(ledger: Ledger, event: ValueEvent) -> list[str]:
    """The claims `event` may create or change."""
    if event.type in CLAIMS:
        return [event.id]
    if event.type == "alias.confirm":
        return sorted(ledger.unclaimed.get(event.content["alias"], ()))
    if event.type == TICK:
        return list(event.content["events"])
    if event.type == DECISION:
        action = ledger_action(event)
        return [action["claim"]] if action is not None and "claim" in action else []
    claim = event.content.get("claim")
    return [claim] if isinstance(claim, str) else []


def _aliases_of(event: ValueEvent) -> list[str]:
    """The aliases whose unclaimed work `event` may change."""
    if event.type == "alias.confirm":
        return [event.content["alias"]]
    if event.type == IMPORT:
        return [c["member"] for c in event.content["contributors"]]
    if event.type == IMPORT_REVIEW:
        return [event.content["reviewer"]]
    return []


def _copied(claim_ids: set[str] | None) -> set[str] | None:
    return set(claim_ids) if claim_ids is not None else None


def _evidence_of(event: ValueEvent) -> list[str]:
    if event.type == IMPORT_REVIEW:
        return [event.content["evidence"]]
    if event.type not in CLAIMS:
        return []
    return list(dict.fromkeys(event.content.get("evidence", ())))


def _copy(claim: Claim) -> Claim:
    """A claim as it is now: its reviews and endorsements are replaced, never changed, in
    place, so copying the two dicts is enough."""
    return replace(claim, reviews=dict(claim.reviews), endorsements=dict(claim.endorsements))


def _money(ledger: Ledger) -> Money:
    return Money(
        dict(ledger.received), dict(ledger.paid_out),
        {currency: dict(paid) for currency, paid in ledger.paid.items()},
        dict(ledger.pots),
        {pot: dict(paid) for pot, paid in ledger.paid_from.items()},
        (len(ledger.income), len(ledger.payouts), len(ledger.spends)),
    )  # fmt: skip


def _restore_money(ledger: Ledger, money: Money) -> None:
    ledger.received, ledger.paid_out, ledger.pots = money.received, money.paid_out, money.pots
    ledger.paid, ledger.paid_from = money.paid, money.paid_from
    income, payouts, spends = money.lengths
    del ledger.income[income:], ledger.payouts[payouts:], ledger.spends[spends:]


def _alias(ledger: Ledger, event: ValueEvent) -> tuple[str, str | None, set[str] | None]:
    alias = event.content["alias"]
    claimants = ledger.alias_claims.get(alias)
    return alias, ledger.aliases.get(alias), set(claimants) if claimants is not None else None


def _restore(mapping: dict[str, T], key: str, value: T | None) -> None:
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value
