"""How well a forecast would have done: calibrate on the first half of a history, forecast
the second half, and compare the monthly active contributors with what happened."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from p2pvalue.simulation.calibration import calibrate
from p2pvalue.simulation.forecast import forecast
from p2pvalue.simulation.history import MONTH_MS, History
from p2pvalue.simulation.model import Levers

Floats = NDArray[np.float64]
NAIVE_MONTHS = 6  # the naive forecast carries the mean of the last six months forward


@dataclass(frozen=True)
class Backtest:
    """The second half as forecast and as it was. `mape` is the mean absolute percentage
    error of the median forecast of monthly active contributors (months with nobody active
    left out); `naive_mape` that of carrying the last months' mean forward; `coverage` the
    share of months whose count fell inside the 5-95 % band; `mae` and `naive_mae` the
    mean absolute errors, in people."""

    calibration_months: int
    actual: tuple[int, ...]
    median: tuple[float, ...]
    naive: float
    mape: float
    naive_mape: float
    mae: float  # people: the mean absolute error of the median forecast
    naive_mae: float
    coverage: float


def active_by_month(history: History, months: int) -> list[int]:
    """How many people did accepted work in each month of `history` from its start."""
    seen: list[set[str]] = [set() for _ in range(months)]
    for work in history.works:
        month = (work.ts - history.start) // MONTH_MS
        if month < months:
            seen[month].add(work.member)
    return [len(members) for members in seen]


def backtest(history: History, runs: int = 100, seed: int = 0) -> Backtest:
    """Calibrate on the first half of `history`'s months and forecast the second half."""
    months = int((history.works[-1].ts - history.start) // MONTH_MS) + 1
    half = months // 2
    cut = history.start + half * MONTH_MS
    counts = active_by_month(history, months)
    result = forecast(calibrate(history.before(cut), end=cut - 1), Levers(), months - half,
                      runs, seed)  # fmt: skip
    band = result.bands["active"]
    actual = np.array(counts[half:], dtype=np.float64)
    naive = float(np.mean(counts[max(0, half - NAIVE_MONTHS) : half]))
    seen = actual > 0
    inside = (np.array(band.low) <= actual) & (actual <= np.array(band.high))
    return Backtest(
        half, tuple(counts[half:]), band.median, naive,
        _mape(actual[seen], np.array(band.median)[seen]),
        _mape(actual[seen], np.full(int(seen.sum()), naive)),
        float(np.mean(np.abs(np.array(band.median) - actual))),
        float(np.mean(np.abs(naive - actual))), float(inside.mean()),
    )  # fmt: skip


def _mape(actual: Floats, forecast: Floats) -> float:
    return float(np.mean(np.abs(forecast - actual) / actual)) if len(actual) else 0.0
