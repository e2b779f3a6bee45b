"""The forecast drawn: active contributors month by month under the policy in force and the
tried one, each a median line in its 5-95 % band; Vega-Lite from Altair, rendered to SVG on
the server by vl-convert, so the page needs no script."""

from __future__ import annotations

import threading
from typing import Any

import altair as alt
import vl_convert

from p2pvalue.simulation.forecast import Forecast
from p2pvalue.simulation.service import WhatIf

KEPT = 64
_drawn: dict[int, tuple[WhatIf, str]] = {}
_lock = threading.Lock()


def forecast_svg(found: WhatIf) -> str:
    """The SVG of `found`'s forecast of active contributors ("" when there is none); drawn
    once per what-if."""
    if found.now is None or found.then is None:
        return ""
    with _lock:
        kept = _drawn.get(id(found))
    if kept is not None and kept[0] is found:
        return kept[1]
    svg: str = vl_convert.vegalite_to_svg(_spec(found.now, found.then))
    with _lock:
        if len(_drawn) >= KEPT:
            _drawn.clear()
        _drawn[id(found)] = (found, svg)
    return svg


def _spec(now: Forecast, then: Forecast) -> dict[str, Any]:
    rows = [
        {"month": month + 1, "policy": policy, "low": band.low[month],
         "median": band.median[month], "high": band.high[month]}
        for policy, result in (("in force", now), ("tried", then))
        for band in (result.bands["active"],)
        for month in range(result.months)
    ]  # fmt: skip
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        x=alt.X("month:O", title="Month"),
        color=alt.Color("policy:N", title="Policy", scale=alt.Scale(range=["#5b6b63", "#1f6f4a"])),
    )
    band = base.mark_area(opacity=0.2).encode(y=alt.Y("low:Q", title="People contributing"),
                                              y2="high:Q")  # fmt: skip
    line = base.mark_line(point=True).encode(y="median:Q")
    chart = (band + line).properties(width=320, height=180)
    spec: dict[str, Any] = chart.to_dict()
    return spec
