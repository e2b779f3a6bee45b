"""The community as a Mesa model: contributors arrive, work, are reviewed, paid, and leave.

Each Mesa agent is a *cohort*: the contributors who arrived in the same month (the first
holds everyone already there when the forecast starts). A cohort keeps no Python object per
person; its contributors are a slice of the model's numpy arrays, and its `step` draws
their month at once. That keeps the rules of a per-person model (every contributor has
their own template, tenure, value and payouts) at the cost of a few array operations per
cohort and month, which is what lets a hundred runs of 10,000 contributors finish in
seconds (see bench/simulate.py).

A month, in order (`Community.step`):
1. arrivals: a Poisson number of new contributors, each drawing a template at random;
2. each cohort's contributors who are still there contribute with their tenure cohort's
   chance, an active month of their own template (its value and pieces of work);
3. review: every piece needs `approvals` reviews (none under lazy acceptance); reviewers,
   the month's active contributors, give the calibrated reviews per month times
   `REVIEW_SLACK`; what cannot be reviewed waits for the next month;
4. payout: `budget` is split by the payout policy over the accepted value;
5. each cohort's contributors leave with their tenure cohort's chance, lowered by what they
   were paid against an equal split among the month's active contributors, by
   `reward_response` (an assumption: a history under one policy cannot measure it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
from numpy.typing import NDArray

from p2pvalue.simulation.calibration import WINDOW, Calibration
from p2pvalue.simulation.metrics import concentration, gini

REVIEW_SLACK = 1.5  # reviewers could give half again the reviews the history shows
DAY_MS = 86_400_000
Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
POLICIES = ("IMMEDIATE", "RECENT", "BALANCED", "BUCKETS")


@dataclass(frozen=True)
class Levers:
    """The policy a forecast tries: the payout policy and monthly budget (minor units), the
    approvals a claim needs or lazy acceptance, and how strongly pay keeps people."""

    payout_policy: str = "BALANCED"
    budget: int = 0
    approvals: int = 1
    lazy: bool = False
    half_life_days: int = 90
    reward_response: float = 0.25


class Cohort(mesa.Agent):  # type: ignore[misc]
    """The contributors who arrived in one month: the slice `start:stop` of the model's arrays."""

    def __init__(self, model: Community, start: int, stop: int) -> None:
        super().__init__(model)
        self.span = slice(start, stop)

    def step(self) -> None:
        """Who of the cohort contributes this month, and what: a month of their template."""
        m: Community = self.model
        span, calibration = self.span, m.calibration
        present = m.present[span]
        chance = calibration.activity[calibration.cohort(m.tenure[span])]
        active = present & (m.rng.random(len(present)) < chance)
        template = m.template[span]
        pick = calibration.offset[template] + (
            m.rng.random(len(present)) * calibration.length[template]
        ).astype(np.int64)
        m.active[span] = active
        m.work[span] = np.where(active, calibration.sample_value[pick], 0.0)
        m.pieces[span] = np.where(active, calibration.sample_pieces[pick], 0)

    def leave(self) -> None:
        """Who of the cohort leaves after this month; those who stay grow a month older."""
        m: Community = self.model
        span, calibration = self.span, m.calibration
        hazard = calibration.departure[calibration.cohort(m.tenure[span])]
        kept = 1.0 + m.levers.reward_response * m.reward[span]
        gone = m.rng.random(hazard.shape[0]) < hazard / kept
        m.present[span] &= ~gone
        m.tenure[span] += 1


class Community(mesa.Model):  # type: ignore[misc]
    """One run of the forecast: `months` months from `calibration` under `levers`."""

    def __init__(self, calibration: Calibration, levers: Levers, months: int, seed: int) -> None:
        super().__init__(seed=seed)
        self.calibration, self.levers = calibration, levers
        self.arrivals = self.rng.poisson(calibration.arrivals, months)
        known = len(calibration.present)
        size = known + int(self.arrivals.sum())
        drawn = self.rng.integers(0, len(calibration.members), size - known)
        self.template = np.concatenate((calibration.present, drawn)).astype(np.int64)
        self.tenure = np.zeros(size, dtype=np.int64)
        self.tenure[:known] = calibration.tenure
        self.present = np.zeros(size, dtype=bool)
        self.present[:known] = True
        self.active = np.zeros(size, dtype=bool)
        self.work, self.pending, self.reward = np.zeros(size), np.zeros(size), np.zeros(size)
        self.pieces = np.zeros(size, dtype=np.int64)
        self.window = np.zeros((WINDOW, size))  # a ring of months, oldest first at the start
        self.window[:, :known] = calibration.recent
        self.recent = self.window.sum(axis=0)  # the value of the last WINDOW months
        self.value = self.recent.copy()  # lifetime value, from the last WINDOW months
        self.decayed, self.paid = self.value.copy(), np.zeros(size)
        self.decay = 0.5 ** (30 / levers.half_life_days)
        self.joined = known
        self.figures: dict[str, float] = {}
        Cohort(self, 0, known)
        self.datacollector = mesa.DataCollector(model_reporters=_reporters())

    def step(self) -> None:
        self._arrive()
        self.agents.do("step")
        accepted = self._review()
        paid = self._pay(accepted)
        self.agents.do("leave")
        self._measure(accepted, paid)
        self.datacollector.collect(self)

    def _arrive(self) -> None:
        count = int(self.arrivals[self.steps - 1])
        if count:
            start = self.joined
            self.present[start : start + count] = True
            Cohort(self, start, start + count)
            self.joined += count

    def _review(self) -> Floats:
        """The value accepted this month; what reviewers could not reach waits."""
        waiting = self.pending + self.work
        rate = self.calibration.reviews_per_month
        reviewed = not self.levers.lazy and rate is not None
        needed = int(self.pieces.sum()) * self.levers.approvals if reviewed else 0
        capacity = (rate or 0.0) * REVIEW_SLACK * int(self.active.sum())
        share = 1.0 if needed == 0 else min(1.0, capacity / needed)
        self.pending = waiting * (1.0 - share)
        accepted: Floats = waiting * share
        slot = (self.steps - 1) % WINDOW  # the oldest month of the ring
        self.recent += accepted - self.window[slot]
        self.window[slot] = accepted
        self.value += accepted
        self.decayed = self.decayed * self.decay + accepted
        return accepted

    def _pay(self, accepted: Floats) -> Floats:
        """This month's payout by the policy, as floats of minor units."""
        budget = float(self.levers.budget)
        weights = _weights(self.levers.payout_policy, accepted, self.decayed, self.value,
                           self.paid, budget)  # fmt: skip
        total = float(weights.sum())
        paid = weights * (budget / total) if budget > 0 and total > 0 else np.zeros_like(weights)
        self.paid += paid
        equal = budget / max(int(self.active.sum()), 1)
        self.reward = paid / equal if equal > 0 else paid
        return paid

    def _measure(self, accepted: Floats, paid: Floats) -> None:
        spread, absence = concentration(self.recent)
        self.figures = {
            "active": float(self.active.sum()),
            "gini": spread,
            "absence": float(absence),
            "accepted": float(accepted.sum()),
            "paid": float(paid.sum()),
            "paid_members": float((paid > 0).sum()),
            "payout_gini": gini(paid),
        }

    def member_paid(self) -> Floats:
        """What each contributor who was there at the start was paid over the run."""
        return self.paid[: len(self.calibration.present)]


def _weights(
    policy: str, accepted: Floats, decayed: Floats, lifetime: Floats, paid: Floats, budget: float
) -> Floats:
    """Each contributor's claim on this month's budget under `policy` (see
    accounting/payouts.py, whose policies these follow on floats)."""
    if policy == "IMMEDIATE":
        return accepted
    if policy == "RECENT":
        return decayed
    if policy == "BALANCED":
        total = float(lifetime.sum())
        if total <= 0:
            return np.zeros_like(lifetime)
        target = (float(paid.sum()) + budget) * lifetime / total
        under: Floats = np.maximum(target - paid, 0.0)
        return under
    return lifetime  # BUCKETS: nothing to reimburse in a forecast; the rest by lifetime value


FIGURES = ("active", "gini", "absence", "accepted", "paid", "paid_members", "payout_gini")


def _reporters() -> dict[str, Any]:
    return {name: _figure(name) for name in FIGURES}


def _figure(name: str) -> Any:
    return lambda model: model.figures[name]
