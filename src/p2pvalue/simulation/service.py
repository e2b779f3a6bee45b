"""The node's side of the what-ifs: a space's history replayed and its proposals recounted
under a trial policy, and forecasts of the next months under the policy in force and the
trial one, with the same seeds. Results are kept until the space's value log changes."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from p2pvalue.accounting.equation import charter_equation
from p2pvalue.accounting.ledger import LEDGER_TYPES
from p2pvalue.accounting.model import Ledger, ValueEvent
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import ValuePolicy, value_policy
from p2pvalue.domain import Wiring
from p2pvalue.errors import NotFound
from p2pvalue.governance.proposals import at_close, proposals_of
from p2pvalue.governance.service import Governance
from p2pvalue.governance.types import DecisionPolicy
from p2pvalue.simulation.background import Background, Done
from p2pvalue.simulation.calibration import calibrate
from p2pvalue.simulation.forecast import Forecast, forecast
from p2pvalue.simulation.history import MONTH_MS, from_ledger
from p2pvalue.simulation.levers import Levers
from p2pvalue.simulation.recount import Recounted, recount
from p2pvalue.simulation.replay import Replay, compare, replay
from p2pvalue.simulation.trial import Trial, trial

RUNS = 100
MONTHS = 12
KEPT = 64  # what-ifs kept per node


@dataclass(frozen=True)
class Horizon:
    """How far and how often to forecast, and the monthly budget paid out (minor units)."""

    months: int = MONTHS
    runs: int = RUNS
    budget: int | None = None  # None: the mean monthly income of the last year
    currency: str | None = None  # None: the currency most income came in


@dataclass(frozen=True)
class WhatIf:
    """Everything a trial policy would change: the replayed history (if the value policy
    changes), recounted proposals (if a decision policy does), and the forecast now and
    under the trial, paid in `currency` at `budget` a month."""

    trial: Trial
    replay: Replay | None
    recounts: tuple[Recounted, ...]
    now: Forecast | None
    then: Forecast | None
    currency: str
    budget: int
    start: int  # ms: when the forecast's first month starts


class Simulation:
    """What-ifs on a node's spaces."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring
        self._kept: dict[str, tuple[Ledger, WhatIf]] = {}
        self._lock = threading.Lock()
        self.background: Background[WhatIf] = Background()

    def worked_out(
        self, space: str, patch: Mapping[str, Any], horizon: Horizon
    ) -> Done[WhatIf] | None:  # fmt: skip
        """The what-ifs of a charter `patch` on `space` (or the refusal that came instead)
        once worked out for its ledger and governance as they now are; None while they are
        being worked out in the background (see `background`)."""
        state = (self.wiring.service(Value).ledger(space),
                 self.wiring.service(Governance).authority(space))  # fmt: skip
        return self.background.ask(
            _key(space, patch, horizon), state, lambda: self.what_if(space, patch, horizon)
        )

    def what_if(self, space: str, patch: Mapping[str, Any], horizon: Horizon) -> WhatIf:
        """The what-ifs of a charter `patch` on `space` (TrialError if it is refused)."""
        charter = self.wiring.service(Governance).authority(space).charter
        tried = trial(charter, patch)
        ledger = self.wiring.service(Value).ledger(space)
        key = _key(space, patch, horizon)
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and kept[0] is ledger:
            return kept[1]
        found = self._what_if(space, value_policy(charter), tried, ledger, horizon)
        with self._lock:
            if len(self._kept) >= KEPT:
                self._kept.clear()
            self._kept[key] = (ledger, found)
        return found

    def _what_if(
        self, space: str, current: ValuePolicy | None, tried: Trial, ledger: Ledger,
        horizon: Horizon,
    ) -> WhatIf:  # fmt: skip
        currency = horizon.currency or _main_currency(ledger)
        budget = horizon.budget if horizon.budget is not None else _monthly_income(ledger, currency)
        replayed = None
        if tried.value_changed and tried.value is not None:
            replayed = compare(ledger, replay(self.events(space), tried.value), self.members(space))
        now = then = None
        if current is not None and ledger.accepted_claims():
            now = _forecast(ledger, current, budget, horizon, revalue=False)
            policy = tried.value or current
            then = _forecast(ledger, policy, budget, horizon, policy.equation != current.equation)
        start = max((c.when for c in ledger.accepted_claims()), default=0)
        return WhatIf(tried, replayed, tuple(self.recount(space, tried.decisions)), now, then,
                      currency, budget, start)  # fmt: skip

    def currency(self, space: str) -> str:
        """The currency most of the space's income came in (EUR when none came yet)."""
        return _main_currency(self.wiring.service(Value).ledger(space))

    def events(self, space: str) -> list[ValueEvent]:
        """The space's accepted value events, in the log's order."""
        suffix = self.wiring.writer.events_since(space, LEDGER_TYPES, None, 0)
        return [event for _, event in suffix.events]

    def members(self, space: str) -> list[str]:
        return [m["did"] for m in self.wiring.directory.members(space) if m["status"] == "member"]

    def recount(self, space: str, policies: Mapping[str, DecisionPolicy]) -> list[Recounted]:
        """The space's closed proposals of the kinds `policies` names, counted by them."""
        if not policies:
            return []
        log = self.wiring.service(Governance).log(space)
        if log.authority is None:
            raise NotFound("unknown_space", f"no space {space!r} on this node")
        closed = sorted(
            (p for p in proposals_of(log.authority).values() if p.outcome is not None),
            key=lambda p: (p.closed_ts or 0, p.id),
        )
        return recount((at_close(log, p.id) for p in closed), policies)


def _key(space: str, patch: Mapping[str, Any], horizon: Horizon) -> str:
    return orjson.dumps([space, patch, horizon.__dict__], option=orjson.OPT_SORT_KEYS).decode()


def _forecast(
    ledger: Ledger, policy: ValuePolicy, budget: int, horizon: Horizon, revalue: bool
) -> Forecast:
    """The forecast under `policy`; the history valued as the ledger valued it, or with
    `revalue` by `policy`'s equation."""
    equation = charter_equation(policy.kinds, policy.equation)
    levers = Levers(
        payout_policy=policy.payout_policy, budget=budget,
        approvals=policy.acceptance.approvals, lazy=policy.acceptance.lazy_hours is not None,
        half_life_days=equation.half_life_days or 90,
    )  # fmt: skip
    history = from_ledger(ledger, equation if revalue else None)
    return forecast(calibrate(history), levers, horizon.months, horizon.runs)


def _main_currency(ledger: Ledger) -> str:
    return max(sorted(ledger.received), key=lambda c: ledger.received[c], default="EUR")


def _monthly_income(ledger: Ledger, currency: str) -> int:
    """The mean monthly income in `currency` over the year before the last income."""
    found = [income for income in ledger.income if income.currency == currency]
    if not found:
        return 0
    last = max(income.ts for income in found)
    year = [i.amount for i in found if i.ts > last - 12 * MONTH_MS]
    return sum(year) // 12
