"""Charts of a space's health: Vega-Lite specs made with Altair and rendered to SVG on the
server (vl-convert), each with a sentence and a table that say the same in words, and the
rows behind it for download.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from p2pvalue.insight.metrics import PeriodActivity
from p2pvalue.insight.network import CORE, Network
from p2pvalue.insight.timeline import KIND_ORDER
from p2pvalue.wording import N_, Wording, english

if TYPE_CHECKING:
    import altair as alt


WIDTH, HEIGHT = 560, 260
EMPTY = '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="20" aria-hidden="true"/>'
MAX_DRAWN = 150  # members the network chart draws: those with the most links
MAX_LINES = 600  # links between them it draws: those over the most shared work
# A period's name on an axis, and a count of periods, singular and plural.
UNITS = {
    "month": (N_("Month"), N_("1 month"), N_("%(count)s months")),
    "week": (N_("Week"), N_("1 week"), N_("%(count)s weeks")),
}


@dataclass(frozen=True)
class Chart:
    """One chart: its SVG, a sentence saying what it shows, and its rows (as a table and
    as the data to download)."""

    name: str
    title: str
    svg: str
    sentence: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def svg(chart: alt.TopLevelMixin) -> str:
    """The chart rendered to SVG, with its text hidden from screen readers (the page gives
    the sentence and the table)."""
    import vl_convert  # loaded with the first chart, not at start

    # Not checked against the schema again: the specs are this module's, rendered by the
    # tests, and checking thousands of rows of data took seconds for a network.
    rendered: str = vl_convert.vegalite_to_svg(chart.to_dict(validate=False))
    return rendered.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


def _data(rows: Sequence[Mapping[str, Any]]) -> alt.Data:
    import altair as alt  # loaded with the first chart, not at start
    from altair.utils.schemapi import debug_mode

    with debug_mode(False):  # the rows are not checked one by one against the schema
        return alt.Data(values=[dict(row) for row in rows])  # type: ignore[no-untyped-call]


def _periods(count: int, unit: str, gettext: Wording) -> str:
    """A number of months or weeks, in words: "1 month", "12 weeks"."""
    _axis, one, many = UNITS.get(unit, UNITS["month"])
    return gettext(one) if count == 1 else gettext(many, count=count)


def _axis(unit: str, gettext: Wording) -> str:
    return gettext(UNITS.get(unit, UNITS["month"])[0])


def value_chart(
    rows: Sequence[Mapping[str, Any]], name_of: Callable[[str], str], gettext: Wording = english
) -> Chart:
    """Cumulative accepted value per member, month by month, worded by `gettext`."""
    import altair as alt  # loaded with the first chart, not at start

    named = [{**row, "member": name_of(str(row["member"]))} for row in rows]
    chart = alt.Chart(_data(named), width=WIDTH, height=HEIGHT).mark_line(point=True).encode(
        x=alt.X("period:T", title=gettext("Month")),
        y=alt.Y("value:Q", title=gettext("Value (cumulative)")),
        color=alt.Color("member:N", title=gettext("Member")),
    )  # fmt: skip
    last: dict[str, float] = {str(r["member"]): float(r["value"]) for r in named}
    lead = max(last, key=lambda m: last[m]) if last else None
    points = f"{last[lead]:g}" if lead is not None else ""
    if lead is None:
        sentence = gettext("No value has been accepted yet.")
    elif len(last) == 1:
        sentence = gettext(
            "Accepted value over time for 1 member; %(lead)s holds the most, %(points)s points.",
            lead=lead,
            points=points,
        )
    else:
        sentence = gettext("Accepted value over time for %(count)s members; %(lead)s holds the "
                           "most, %(points)s points.", count=len(last), lead=lead,
                           points=points)  # fmt: skip
    table = tuple((r["period"], r["member"], round(float(r["value"]), 2)) for r in named)
    return Chart("value", gettext("Value over time"), svg(chart) if named else "", sentence,
                 ("period", "member", "value"), table)  # fmt: skip


def reputation_chart(
    rows: Sequence[Mapping[str, Any]], name_of: Callable[[str], str], gettext: Wording = english
) -> Chart:
    """Reputation per member at the end of each month, worded by `gettext`."""
    import altair as alt  # loaded with the first chart, not at start

    named = [{**row, "member": name_of(str(row["member"]))} for row in rows]
    chart = alt.Chart(_data(named), width=WIDTH, height=HEIGHT).mark_line(point=True).encode(
        x=alt.X("period:T", title=gettext("Month")),
        y=alt.Y("reputation:Q", title=gettext("Reputation (share)"), axis=alt.Axis(format="%")),
        color=alt.Color("member:N", title=gettext("Member")),
    )  # fmt: skip
    last: dict[str, float] = {str(r["member"]): float(r["reputation"]) for r in named}
    lead = max(last, key=lambda m: last[m]) if last else None
    if lead is None:
        sentence = gettext("No one has a reputation yet: no contribution was accepted.")
    else:
        sentence = gettext("Reputation over time for %(count)s members; %(lead)s has the highest "
                           "now, %(share)s %% of the space's.", count=len(last), lead=lead,
                           share="%.1f" % (100 * last[lead]))  # fmt: skip
    table = tuple((r["period"], r["member"], r["reputation"]) for r in named)
    return Chart("reputation", gettext("Reputation over time"), svg(chart) if named else "",
                 sentence, ("period", "member", "reputation"), table)  # fmt: skip


def kinds_chart(activity: Sequence[PeriodActivity], unit: str, gettext: Wording = english) -> Chart:
    """Contributions per period, stacked by kind, worded by `gettext`."""
    import altair as alt  # loaded with the first chart, not at start

    rows = [(a.period, kind, a.by_kind[kind]) for a in activity for kind in KIND_ORDER]
    data = [{"period": p, "kind": k, "count": c} for p, k, c in rows]
    chart = alt.Chart(_data(data), width=WIDTH, height=HEIGHT).mark_bar().encode(
        x=alt.X("period:T", title=_axis(unit, gettext)),
        y=alt.Y("sum(count):Q", title=gettext("Contributions")),
        color=alt.Color("kind:N", title=gettext("Kind"), sort=list(KIND_ORDER)),
    )  # fmt: skip
    totals = {kind: sum(c for _, k, c in rows if k == kind) for kind in KIND_ORDER}
    most = max(totals, key=lambda k: totals[k]) if any(totals.values()) else None
    sentence = (
        gettext("%(count)s contributions over %(periods)s; most were %(kind)s (%(most)s).",
                count=sum(totals.values()), periods=_periods(len(activity), unit, gettext),
                kind=most, most=totals[most])
        if most
        else gettext("No contributions yet.")
    )  # fmt: skip
    return Chart("kinds", gettext("Contributions by kind"), svg(chart) if most else "", sentence,
                 ("period", "kind", "count"), tuple(rows))  # fmt: skip


def active_chart(
    activity: Sequence[PeriodActivity], unit: str, gettext: Wording = english
) -> Chart:
    """Active, new, returning and departed contributors per period, worded by `gettext`."""
    import altair as alt  # loaded with the first chart, not at start

    series = ("active", "new", "returning", "departed")
    rows = [(a.period, s, getattr(a, s)) for a in activity for s in series]
    data = [{"period": p, "series": s, "people": n} for p, s, n in rows]
    chart = alt.Chart(_data(data), width=WIDTH, height=HEIGHT).mark_line(point=True).encode(
        x=alt.X("period:T", title=_axis(unit, gettext)),
        y=alt.Y("people:Q", title=gettext("Contributors")),
        color=alt.Color("series:N", title=gettext("Who"), sort=list(series)),
    )  # fmt: skip
    last = activity[-1] if activity else None
    said = (
        N_(
            "In the week from %(period)s, %(active)s people contributed: %(new)s new, "
            "%(returning)s back after a break, %(departed)s who did not come back."
        )
        if unit == "week"
        else N_(
            "In the month from %(period)s, %(active)s people contributed: %(new)s new, "
            "%(returning)s back after a break, %(departed)s who did not come back."
        )
    )
    sentence = (
        gettext(said, period=last.period, active=last.active, new=last.new,
                returning=last.returning, departed=last.departed)
        if last
        else gettext("No contributions yet.")
    )  # fmt: skip
    return Chart("active", gettext("Active contributors"), svg(chart) if last else "", sentence,
                 ("period", "series", "people"), tuple(rows))  # fmt: skip


def network_chart(network: Network, places: Mapping[str, str], name_of: Callable[[str], str],
                  gettext: Wording = english) -> Chart:  # fmt: skip
    """The collaboration network (the most linked members), core members marked, worded by
    `gettext`."""
    import altair as alt  # loaded with the first chart, not at start
    import igraph

    drawn, (first, second) = _drawn(network)
    sub = igraph.Graph(n=len(drawn), edges=list(zip(first, second, strict=True)))
    # Started from a circle rather than at random: the same picture every time.
    start = sub.layout_circle().coords
    layout = sub.layout_fruchterman_reingold(seed=start, niter=200).coords if start else []
    points = [
        {"x": x, "y": y, "member": name_of(did), "place": places[did]}
        for (x, y), did in zip(layout, drawn, strict=True)
    ]
    lines = [
        {"x": layout[a][0], "y": layout[a][1], "x2": layout[b][0], "y2": layout[b][1]}
        for a, b in zip(first, second, strict=True)
    ]
    axis = alt.Axis(labels=False, ticks=False, grid=False, title=None, domain=False)
    edges = (
        alt.Chart(_data(lines))
        .mark_rule(opacity=0.25)
        .encode(x=alt.X("x:Q", axis=axis), y=alt.Y("y:Q", axis=axis), x2="x2:Q", y2="y2:Q")
    )
    nodes = alt.Chart(_data(points)).mark_circle(size=60).encode(
        x=alt.X("x:Q", axis=axis), y=alt.Y("y:Q", axis=axis),
        color=alt.Color("place:N", title=gettext("Place")), tooltip=["member:N", "place:N"],
    )  # fmt: skip
    chart = alt.layer(edges, nodes).properties(width=WIDTH, height=HEIGHT + 80)
    core = sorted(name_of(d) for d, p in places.items() if p == CORE)
    counts = {"members": len(network.people), "links": len(network.first), "core": len(core)}
    sentence = (
        gettext("%(members)s members, %(links)s working links; %(core)s in the core: "
                "%(names)s.", names=", ".join(core[:10]), **counts)
        if core
        else gettext("%(members)s members, %(links)s working links; %(core)s in the core.",
                     **counts)
    )  # fmt: skip
    if len(drawn) < len(network.people) or len(first) < len(network.first):
        sentence += " " + gettext(
            "The picture shows the %(drawn)s members with the most links and the %(lines)s "
            "links between them over the most shared work.", drawn=len(drawn), lines=len(first)
        )  # fmt: skip
    rows = tuple((name_of(did), places[did]) for did in network.people)
    title = gettext("Collaboration network")
    return Chart("network", title, svg(chart) if points else "", sentence, ("member", "place"),
                 rows)  # fmt: skip


def _drawn(network: Network) -> tuple[list[str], tuple[list[int], list[int]]]:
    """The members the network chart draws (the `MAX_DRAWN` with the most links, ties by
    did) and the links between them it draws (the `MAX_LINES` that share the most work,
    ties by position), as indices into the members drawn."""
    import numpy as np

    count = len(network.people)
    degree = np.bincount(np.concatenate((network.first, network.second)), minlength=count)
    chosen = sorted(range(count), key=lambda i: (-int(degree[i]), network.people[i]))
    chosen = sorted(chosen[:MAX_DRAWN])
    index = np.full(count, -1, np.int64)
    index[chosen] = np.arange(len(chosen))
    a, b = index[network.first], index[network.second]
    inside = np.flatnonzero((a >= 0) & (b >= 0))
    heaviest = inside[np.argsort(-network.weight[inside], kind="stable")[:MAX_LINES]]
    heaviest.sort()
    drawn = [network.people[i] for i in chosen]
    return drawn, (a[heaviest].tolist(), b[heaviest].tolist())


def places_chart(over_time: Mapping[str, Mapping[str, str]], name_of: Callable[[str], str],
                 gettext: Wording = english) -> Chart:  # fmt: skip
    """Each member's place (core or periphery) in each month's network: a table, no picture."""
    rows = tuple(
        (period, name, place)
        for period, places in over_time.items()
        for place, name in sorted((place, name_of(did)) for did, place in places.items())
    )
    last = list(over_time)[-1] if over_time else None
    if last is None:
        sentence = gettext("Nobody has worked with anyone yet.")
    else:
        places = over_time[last]
        core = sum(1 for place in places.values() if place == CORE)
        sentence = gettext("In the month from %(month)s, %(count)s members worked in the space: "
                           "%(core)s in its core, %(periphery)s on its periphery.", month=last,
                           count=len(places), core=core, periphery=len(places) - core)  # fmt: skip
    return Chart("places", gettext("Core and periphery, month by month"), "", sentence,
                 ("period", "member", "place"), rows)  # fmt: skip


def member_value_chart(rows: Sequence[Mapping[str, Any]], name_of: Callable[[str], str]) -> Chart:
    """One member's value over time, small enough for their page."""
    import altair as alt  # loaded with the first chart, not at start

    chart = (
        alt.Chart(_data(rows), width=240, height=90)
        .mark_area(opacity=0.6)
        .encode(
            x=alt.X("period:T", title=None),
            y=alt.Y("value:Q", title=None),
        )
    )
    last = float(rows[-1]["value"]) if rows else 0.0
    who = name_of(str(rows[0]["member"])) if rows else "This member"
    sentence = f"{who} holds {last:g} points of accepted value, built up over {len(rows)} month(s)."
    table = tuple((r["period"], round(float(r["value"]), 2)) for r in rows)
    return Chart("member-value", "Value over time", svg(chart) if rows else EMPTY, sentence,
                 ("period", "value"), table)  # fmt: skip
