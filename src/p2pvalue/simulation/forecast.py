"""Many seeded runs of the community model, summed up as bands month by month.

Run `r` of a forecast uses seed `seed + r`, so a forecast is the same every time it is
asked, and two policies forecast with the same seeds differ by the policy, not the dice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from p2pvalue.simulation.calibration import Calibration
from p2pvalue.simulation.model import FIGURES, Community, Levers

BAND = (5.0, 50.0, 95.0)  # percentiles: the lower edge, the median, the upper edge
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Band:
    """One figure month by month: its 5th percentile, median and 95th percentile."""

    low: tuple[float, ...]
    median: tuple[float, ...]
    high: tuple[float, ...]


@dataclass(frozen=True)
class Forecast:
    """What `runs` runs of `months` months gave: a band per figure, and what each member
    there at the start was paid over the whole forecast (minor units: 5th, 50th, 95th)."""

    months: int
    runs: int
    bands: Mapping[str, Band]
    member_paid: Mapping[str, tuple[float, float, float]]


def forecast(
    calibration: Calibration, levers: Levers, months: int = 12, runs: int = 100, seed: int = 0
) -> Forecast:
    """Run the model `runs` times for `months` months and gather the bands."""
    figures = {name: np.zeros((runs, months)) for name in FIGURES}
    paid = np.zeros((runs, len(calibration.present)))
    for run in range(runs):
        model = Community(calibration, levers, months, seed + run)
        for _ in range(months):
            model.step()
        for name, collected in model.datacollector.model_vars.items():
            figures[name][run] = collected
        paid[run] = model.member_paid()
    bands = {name: _band(values) for name, values in figures.items()}
    members = [calibration.members[t] for t in calibration.present]
    spread = np.percentile(paid, BAND, axis=0) if runs else np.zeros((3, len(members)))
    member_paid = {
        member: (float(spread[0, i]), float(spread[1, i]), float(spread[2, i]))
        for i, member in enumerate(members)
    }
    return Forecast(months, runs, bands, member_paid)


def _band(values: Floats) -> Band:
    low, median, high = np.percentile(values, BAND, axis=0)
    return Band(tuple(low.tolist()), tuple(median.tolist()), tuple(high.tolist()))
