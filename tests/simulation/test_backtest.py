"""The forecast checked against a real community: every commit of encode/starlette (read
with the git importer's reader; authors numbered), calibrated on the first half of its
months and forecast over the second. docs/insight.md reports these figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from p2pvalue.simulation.backtest import backtest
from p2pvalue.simulation.history import History, from_commits

COMMITS = Path(__file__).with_name("starlette_commits.tsv")


def starlette() -> History:
    lines = [line.split("\t") for line in COMMITS.read_text().splitlines()
             if not line.startswith("#")]  # fmt: skip
    return from_commits((int(ts), author.strip()) for ts, author in lines)


def test_the_second_half_of_starlette_as_forecast_from_the_first() -> None:
    found = backtest(starlette(), runs=100, seed=0)
    assert (found.calibration_months, len(found.actual)) == (44, 44)
    assert sum(found.actual) == 275  # people active per month, added up over the second half
    # The figures docs/insight.md reports (the forecast is seeded, so they do not move).
    assert round(found.mape, 2) == 1.01 and round(found.naive_mape, 2) == 1.05
    assert (round(found.mae, 2), round(found.naive_mae, 2)) == (3.62, 3.57)
    assert found.coverage == pytest.approx(0.75)
