"""The forecast: calibration recovers known rates, runs are seeded, bands hold the median,
and the levers move what they should."""

from __future__ import annotations

import numpy as np
import pytest

from p2pvalue.simulation.calibration import calibrate
from p2pvalue.simulation.forecast import forecast
from p2pvalue.simulation.history import MONTH_MS, History, from_commits
from p2pvalue.simulation.model import FIGURES, Levers

DAY_MS = 86_400_000


def leaving(arrivals: float, hazard: float, months: int = 36, seed: int = 1) -> History:
    """People who arrive at `arrivals` a month, commit every month they stay, and leave
    after each month with chance `hazard`."""
    rng = np.random.default_rng(seed)
    commits, person = [], 0
    for month in range(months):
        for _ in range(rng.poisson(arrivals)):
            person += 1
            at = month
            while at < months:
                commits.append((at * MONTH_MS + DAY_MS, f"p{person}"))
                if rng.random() < hazard:
                    break
                at += 1
    return from_commits(commits)


def test_calibration_recovers_the_arrival_rate_and_the_chance_of_leaving() -> None:
    found = calibrate(leaving(arrivals=60, hazard=0.2))
    assert found.arrivals == pytest.approx(60, abs=5)
    assert found.departure == pytest.approx([0.2] * 4, abs=0.05)
    assert found.activity == pytest.approx([1.0] * 4)


def test_calibration_recovers_the_chance_of_contributing() -> None:
    rng = np.random.default_rng(2)
    commits = [
        (month * MONTH_MS + DAY_MS, f"p{person}")
        for person in range(300)
        for month in range(36)
        if month in (0, 35) or rng.random() < 0.4
    ]
    found = calibrate(from_commits(commits))
    # Months 13 to 36: 40 % active, and the last month, always active, adds about 1/24.
    assert found.activity[3] == pytest.approx(0.4 + 0.6 / 24, abs=0.03)
    assert found.departure[:3] == pytest.approx([0.0] * 3)


def test_the_same_seed_gives_the_same_forecast_and_another_seed_another() -> None:
    calibration = calibrate(leaving(arrivals=10, hazard=0.2))
    levers = Levers(budget=50_000)
    one, two = forecast(calibration, levers, 6, 20, seed=5), forecast(calibration, levers, 6, 20, 5)
    assert one == two
    assert forecast(calibration, levers, 6, 20, seed=6).bands != one.bands


def test_every_band_holds_its_median() -> None:
    result = forecast(calibrate(leaving(arrivals=10, hazard=0.2)), Levers(budget=10_000), 12, 100)
    assert set(result.bands) == set(FIGURES) and result.runs == 100
    for band in result.bands.values():
        assert all(lo <= mid <= hi for lo, mid, hi in zip(band.low, band.median, band.high,
                                                          strict=True))  # fmt: skip
    assert result.bands["paid"].median == (10_000.0,) * 12  # the whole budget, every month
    assert result.bands["active"].high[-1] > result.bands["active"].low[-1]


def test_immediate_pays_only_this_months_work_and_balanced_spreads_to_the_past() -> None:
    calibration = calibrate(leaving(arrivals=10, hazard=0.4))
    now = forecast(calibration, Levers("IMMEDIATE", budget=10_000), 12, 30)
    balanced = forecast(calibration, Levers("BALANCED", budget=10_000), 12, 30)
    # IMMEDIATE pays only who worked this month; BALANCED also those who left.
    paid_now, paid_balanced = (
        now.bands["paid_members"].median,
        balanced.bands["paid_members"].median,
    )
    assert all(p <= a for p, a in zip(paid_now, now.bands["active"].median, strict=True))
    assert paid_balanced[-1] > 2 * paid_now[-1]


def test_two_approvals_with_scarce_reviewers_slow_accepted_work() -> None:
    history = leaving(arrivals=10, hazard=0.2)
    reviewed = History(history.works, tuple((w.member, w.ts) for w in history.works[::2]),
                       reviewed=True)  # fmt: skip
    calibration = calibrate(reviewed)
    one = forecast(calibration, Levers(approvals=1), 6, 20)
    three = forecast(calibration, Levers(approvals=3), 6, 20)
    lazy = forecast(calibration, Levers(approvals=3, lazy=True), 6, 20)
    # Half a review per active month, and reviewers give half again: 3/4 of the month's
    # pieces reach one approval, 1/4 three; lazy acceptance takes them all.
    first = [f.bands["accepted"].median[0] for f in (lazy, one, three)]
    assert first[1] / first[0] == pytest.approx(0.75, abs=0.01)
    assert first[2] / first[0] == pytest.approx(0.25, abs=0.01)
