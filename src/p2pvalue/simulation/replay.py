"""A space's value history folded again under another value policy: who would have gained.

`replay` feeds the space's own accepted value events to the ledger's fold
(`accounting.ledger.apply_event`), each with the charter it was judged by restated: its
value section becomes `policy` (another value equation, acceptance rule or payout policy),
and that one equation values every contribution, whatever its date. A payout run keeps its
time, currency, budget and pot, and pays what `policy`'s payout policy would have paid
from the ledger as replayed up to then. Nothing is invented: turning lazy acceptance on
does not make the closes nobody signed, and an event the replayed ledger refuses (a
payout beyond what the pot then held) is void there, as it would have been.

`compare` sets the two ledgers side by side, member by member: value, reputation and
what each was paid, in minor units of each currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from p2pvalue.accounting.equation import charter_equation
from p2pvalue.accounting.ledger import apply_event, fold, reputation_input
from p2pvalue.accounting.model import Ledger, ValueEvent
from p2pvalue.accounting.payout_plan import allocations, plan
from p2pvalue.accounting.reputation import reputation
from p2pvalue.accounting.types import ValuePolicy, value_policy
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority, CharterChange
from p2pvalue.events.charter import Charter

RESTATED = "what-if"  # the `event` of the one charter change a replay's history holds


def replay(events: Iterable[ValueEvent], policy: ValuePolicy) -> Ledger:
    """The ledger `events` would have folded to had `policy` been the value policy all along."""
    restater = _Restater(policy)
    ledger = Ledger()
    for event in events:
        apply_event(ledger, restater.event(ledger, event))
    return ledger


class _Restater:
    """Events as they would read under another value policy; one restated charter per
    charter of the history, sharing one equation history (so the ledger's equation cache
    parses the proposed equation once)."""

    def __init__(self, policy: ValuePolicy) -> None:
        self.policy = policy
        self.charters: dict[int, tuple[Charter, Charter]] = {}
        self.history: tuple[CharterChange, ...] | None = None

    def event(self, ledger: Ledger, event: ValueEvent) -> ValueEvent:
        if value_policy(event.authority.charter) is None:
            return event  # value was not on yet: the event is void either way
        authority = self._authority(event.authority)
        restated = replace(event, authority=authority)
        if event.type != "payout.run":
            return restated
        return replace(restated, content=self._payout(ledger, restated))

    def _authority(self, authority: Authority) -> Authority:
        charter = self._charter(authority.charter)
        if self.history is None:
            self.history = (CharterChange(RESTATED, 0, charter),)
        return replace(authority, charter=charter, history=self.history)

    def _charter(self, charter: Charter) -> Charter:
        found = self.charters.get(id(charter))
        if found is None or found[0] is not charter:
            sections = {**charter.sections, "value": self.policy}
            found = self.charters[id(charter)] = (charter, replace(charter, sections=sections))
        return found[1]

    def _payout(self, ledger: Ledger, event: ValueEvent) -> Mapping[str, object]:
        """The run's content with what this policy pays; as it was if it cannot pay then."""
        content = event.content
        half_life = _half_life(self.policy)
        try:
            payout = plan(ledger, self.policy.payout_policy, content["currency"],
                          content["budget"], event.ts, half_life,
                          earmark=content.get("earmark"))  # fmt: skip
        except P2PError:
            return content
        return {**content, "policy": self.policy.payout_policy, "allocations": allocations(payout)}


def _half_life(policy: ValuePolicy) -> int | None:
    return charter_equation(policy.kinds, policy.equation).half_life_days


@dataclass(frozen=True)
class MemberOutcome:
    """One member's standing as it is and as the replay gives it."""

    member: str
    value_before: Fraction
    value_after: Fraction
    reputation_before: float
    reputation_after: float
    paid_before: Mapping[str, int]  # currency -> minor units
    paid_after: Mapping[str, int]

    @property
    def value_delta(self) -> Fraction:
        return self.value_after - self.value_before

    def paid_delta(self, currency: str) -> int:
        return self.paid_after.get(currency, 0) - self.paid_before.get(currency, 0)

    @property
    def gains(self) -> bool:
        """Whether the member ends better off: more paid in some currency, or else more value."""
        paid = [self.paid_delta(c) for c in sorted(set(self.paid_before) | set(self.paid_after))]
        if any(paid):
            return sum(paid) > 0
        return self.value_delta > 0


@dataclass(frozen=True)
class Replay:
    """The whole comparison: every member's outcome (largest gain first), and the claims
    whose status the other policy changes (claim id -> (status before, after))."""

    members: tuple[MemberOutcome, ...]
    currencies: tuple[str, ...]
    statuses: Mapping[str, tuple[str, str]]
    voided_payouts: int  # runs the replayed ledger could not make


def compare(before: Ledger, after: Ledger, members: Sequence[str]) -> Replay:
    """Both ledgers side by side for `members` and everyone either ledger credits or paid."""
    values_before, values_after = before.member_values(), after.member_values()
    everyone = sorted(
        set(members) | set(values_before) | set(values_after)
        | {m for paid in (*before.paid.values(), *after.paid.values()) for m in paid}
    )  # fmt: skip
    rep_before, rep_after = _reputation(before, everyone), _reputation(after, everyone)
    outcomes = [
        MemberOutcome(
            member, values_before.get(member, Fraction(0)), values_after.get(member, Fraction(0)),
            rep_before.get(member, 0.0), rep_after.get(member, 0.0),
            _paid(before, member), _paid(after, member),
        )
        for member in everyone
    ]  # fmt: skip
    outcomes.sort(key=lambda o: (-sum(o.paid_delta(c) for c in o.paid_after), -o.value_delta,
                                 o.member))  # fmt: skip
    statuses = {
        claim_id: (claim.status, after.claims[claim_id].status)
        for claim_id, claim in before.claims.items()
        if claim_id in after.claims and after.claims[claim_id].status != claim.status
    }
    voided = sum(1 for run in before.payouts if run.id in after.void)
    currencies = tuple(sorted(set(before.paid) | set(after.paid)))
    return Replay(tuple(outcomes), currencies, statuses, voided)


def what_if(events: Sequence[ValueEvent], policy: ValuePolicy, members: Sequence[str]) -> Replay:
    """The history as it is against the history replayed under `policy`."""
    return compare(fold(events), replay(events, policy), members)


def _reputation(ledger: Ledger, members: Sequence[str]) -> Mapping[str, float]:
    return reputation(reputation_input(ledger, members)).scores


def _paid(ledger: Ledger, member: str) -> dict[str, int]:
    return {currency: paid[member] for currency, paid in sorted(ledger.paid.items())
            if paid.get(member)}  # fmt: skip
