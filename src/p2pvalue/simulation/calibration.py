"""The rates a forecast starts from, estimated from the community's own history.

Months are thirty days from the first piece of work. A contributor's *life* runs from the
month of their first accepted work to the month of their last; a quiet spell at the end
of `GAP` months or more means they left (shorter, and they may still come back, so those
months are censored, not counted either way). By *tenure cohort* (months since the first
work, cut at `CUTS`) it estimates:

- the monthly chance of leaving: lives that ended at that tenure over lives observed there;
- the monthly chance of contributing while still there: active months over months lived.

New contributors arrive as a Poisson process at the mean rate of the last `ARRIVAL_WINDOW`
months. Every past contributor is a *template* whose active months (value of the accepted
work, pieces of work) a new contributor's active months are drawn from, so the spread of
sizes, kinds and value is the community's own. Reviews: counted reviews per active
contributor-month, None for a history without review (a commit log).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from p2pvalue.simulation.history import MONTH_MS, History

CUTS = (1, 3, 12)  # tenure cohorts: first month, months 2-3, 4-12, later
GAP = 3  # months of quiet after which a contributor counts as gone (chosen on httpx, see docs)
ARRIVAL_WINDOW = 12
WINDOW = 12  # months of value that concentration is measured over

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True)
class Calibration:
    """What a forecast starts from: the rates, the templates, and who is still there."""

    months: int  # months observed
    arrivals: float  # new contributors per month
    activity: Floats  # by tenure cohort: the chance of contributing in a month
    departure: Floats  # by tenure cohort: the chance of leaving after a month
    sample_value: Floats  # every template's active months, one after another
    sample_pieces: Ints
    offset: Ints  # per template: where its months start in the samples
    length: Ints  # per template: how many active months it has
    members: tuple[str, ...]  # the templates' members, by template index
    present: Ints  # templates (= past contributors) still there at the end
    tenure: Ints  # their tenure, in months, at the end
    recent: Floats  # (WINDOW, present): their value in each of the last WINDOW months
    reviews_per_month: float | None  # per active contributor; None: no review

    def cohort(self, tenure: Ints) -> Ints:
        return np.searchsorted(np.asarray(CUTS), tenure, side="right").astype(np.int64)


def calibrate(history: History, end: int | None = None) -> Calibration:
    """The rates of `history` up to `end` (ms; default just after its last work)."""
    start = history.start
    members = sorted({work.member for work in history.works})
    index = {member: i for i, member in enumerate(members)}
    month = np.array([(w.ts - start) // MONTH_MS for w in history.works], dtype=np.int64)
    last_month = (end - start) // MONTH_MS if end is not None else month.max(initial=0)
    months = int(last_month) + 1
    who = np.array([index[w.member] for w in history.works], dtype=np.int64)
    value = np.array([w.value for w in history.works], dtype=np.float64)
    grid = np.zeros((len(members), months))
    np.add.at(grid, (who, month), value)
    pieces = np.zeros((len(members), months), dtype=np.int64)
    np.add.at(pieces, (who, month), 1)
    active = pieces > 0
    first = active.argmax(axis=1)
    last = months - 1 - active[:, ::-1].argmax(axis=1)
    activity, departure = _rates(active, first, last, months)
    offset, length, sample_value, sample_pieces = _templates(grid, pieces)
    present = np.flatnonzero(months - 1 - last < GAP)
    recent = _recent(grid, present, months)
    return Calibration(
        months, _arrival_rate(first, months), activity, departure, sample_value, sample_pieces,
        offset, length, tuple(members), present.astype(np.int64),
        (months - first[present]).astype(np.int64), recent,
        _review_rate(history, start, months, int(active.sum())),
    )  # fmt: skip


def _rates(
    active: NDArray[np.bool_], first: Ints, last: Ints, months: int
) -> tuple[Floats, Floats]:
    """Per tenure cohort: active months over months lived, and lives ended over lives seen."""
    cohorts = len(CUTS) + 1
    lived, worked, at_risk, ended = (np.zeros(cohorts) for _ in range(4))
    for member in range(active.shape[0]):
        tenure = np.arange(last[member] - first[member] + 1)
        cohort = np.searchsorted(CUTS, tenure, side="right")
        np.add.at(lived, cohort, 1)
        np.add.at(worked, cohort, active[member, first[member] : last[member] + 1])
        seen = first[member] + tenure <= months - 1 - GAP  # whether the next GAP months are known
        np.add.at(at_risk, cohort[seen], 1)
        if last[member] <= months - 1 - GAP:
            ended[cohort[-1]] += 1
    return _ratio(worked, lived, 1.0), _ratio(ended, at_risk, 0.5)


def _ratio(part: Floats, whole: Floats, unknown: float) -> Floats:
    """part / whole, and `unknown` (a neutral prior) where nothing was observed."""
    return np.where(whole > 0, part / np.maximum(whole, 1), unknown)


def _templates(grid: Floats, pieces: Ints) -> tuple[Ints, Ints, Floats, Ints]:
    """Every contributor's active months, flattened: offsets, lengths, values and pieces."""
    rows, cols = np.nonzero(pieces)
    length = np.bincount(rows, minlength=grid.shape[0]).astype(np.int64)
    offset = np.concatenate(([0], np.cumsum(length)[:-1])).astype(np.int64)
    return offset, length, grid[rows, cols], pieces[rows, cols]


def _recent(grid: Floats, present: Ints, months: int) -> Floats:
    """The value of the present contributors in each of the last WINDOW months (zeros
    before the history began)."""
    window = np.zeros((WINDOW, len(present)))
    taken = grid[present][:, max(0, months - WINDOW) :].T
    window[WINDOW - taken.shape[0] :] = taken
    return window


def _arrival_rate(first: Ints, months: int) -> float:
    arrived = np.bincount(first, minlength=months)
    return float(arrived[-ARRIVAL_WINDOW:].mean())


def _review_rate(history: History, start: int, months: int, active_months: int) -> float | None:
    if not history.reviewed:
        return None
    counted = sum(1 for _, ts in history.reviews if (ts - start) // MONTH_MS < months)
    return counted / max(active_months, 1)
