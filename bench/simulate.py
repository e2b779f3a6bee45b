"""The cost of a forecast: 100 seeded runs of 24 months of a community of 10,000
contributors (`simulation.forecast`, cohorts as Mesa agents over numpy arrays), against the
same rules with one Mesa agent (a Python object) per contributor, measured in the same run
on `--baseline-runs` runs and scaled to as many runs.

The community is calibrated on a generated history: 10,000 contributors who arrived over
24 months, each active in the last month, with heavy-tailed monthly work.

Prints one JSON line: {"runs", "months", "agents_at_start", "agents_at_end", "forecast_s",
"goal_s", "per_person_s" (the baseline, scaled to `runs`), "speedup"}.
"""

from __future__ import annotations

import argparse
import time

import mesa
import numpy as np
import orjson

from p2pvalue.simulation.calibration import Calibration, calibrate
from p2pvalue.simulation.forecast import forecast
from p2pvalue.simulation.history import MONTH_MS, from_commits
from p2pvalue.simulation.model import Levers

GOAL_S = 30.0
LEVERS = Levers(payout_policy="BALANCED", budget=1_000_000)


def generated(members: int, months: int, seed: int = 7) -> list[tuple[int, str]]:
    """Commits of `members` people: each arrives in some month, works in some of the months
    after it and in the last one, a heavy-tailed number of commits each time."""
    rng = np.random.default_rng(seed)
    commits: list[tuple[int, str]] = []
    for person in range(members):
        first = int(rng.integers(0, months))
        for month in range(first, months):
            if month in (first, months - 1) or rng.random() < 0.3:
                for _ in range(int(rng.zipf(2.2)) % 50):
                    ts = month * MONTH_MS + int(rng.integers(0, MONTH_MS))
                    commits.append((ts, f"p{person}"))
    return commits


class Person(mesa.Agent):  # type: ignore[misc]
    """The baseline: one contributor, one Python object, the same rules on scalars."""

    def __init__(self, model: PersonModel, template: int, tenure: int, recent: float) -> None:
        super().__init__(model)
        self.template, self.tenure, self.present = template, tenure, True
        self.work = self.value = self.decayed = recent
        self.paid = self.reward = 0.0

    def step(self) -> None:
        c, draw = self.model.calibration, self.model.random.random
        cohort = int(np.searchsorted((1, 3, 12), self.tenure, side="right"))
        self.work = 0.0
        if self.present and draw() < c.activity[cohort]:
            pick = c.offset[self.template] + int(draw() * c.length[self.template])
            self.work = float(c.sample_value[pick])
        self.value += self.work
        self.decayed = self.decayed * self.model.decay + self.work
        if self.present and draw() < c.departure[cohort] / (1 + 0.25 * self.reward):
            self.present = False
        self.tenure += 1


class PersonModel(mesa.Model):  # type: ignore[misc]
    def __init__(self, calibration: Calibration, seed: int) -> None:
        super().__init__(seed=seed)
        self.calibration, self.decay = calibration, 0.5 ** (30 / 90)
        for template, tenure, recent in zip(
            calibration.present, calibration.tenure, calibration.recent.sum(axis=0), strict=True
        ):
            Person(self, int(template), int(tenure), float(recent))

    def step(self) -> None:
        for _ in range(int(self.rng.poisson(self.calibration.arrivals))):
            Person(self, int(self.rng.integers(0, len(self.calibration.members))), 0, 0.0)
        self.agents.do("step")
        people = list(self.agents)
        total = sum(p.value for p in people) or 1.0
        paid = sum(p.paid for p in people) + LEVERS.budget
        under = [max(paid * p.value / total - p.paid, 0.0) for p in people]
        share = LEVERS.budget / (sum(under) or 1.0)
        for person, owed in zip(people, under, strict=True):
            person.paid += owed * share


def per_person(calibration: Calibration, months: int, runs: int) -> float:
    start = time.perf_counter()
    for run in range(runs):
        model = PersonModel(calibration, run)
        for _ in range(months):
            model.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--baseline-runs", type=int, default=2)
    args = parser.parse_args()
    calibration = calibrate(from_commits(generated(args.members, args.months)))
    start = time.perf_counter()
    result = forecast(calibration, LEVERS, args.months, args.runs)
    forecast_s = time.perf_counter() - start
    baseline = per_person(calibration, args.months, args.baseline_runs)
    scaled = baseline * args.runs / args.baseline_runs
    arrivals = calibration.arrivals * args.months
    print(orjson.dumps({
        "runs": result.runs, "months": result.months,
        "agents_at_start": len(calibration.present),
        "agents_at_end": round(len(calibration.present) + arrivals),
        "forecast_s": round(forecast_s, 2), "goal_s": GOAL_S,
        "per_person_s": round(scaled, 2), "speedup": round(scaled / forecast_s, 1),
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
