"""What the health page and API share: the granularity asked for, the charts of a space,
and the measures as JSON."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from p2pvalue.errors import P2PError
from p2pvalue.insight import charts
from p2pvalue.insight.service import Health, Insight
from p2pvalue.insight.timeline import GRANULARITIES, Granularity
from p2pvalue.node import Node
from p2pvalue.web import i18n
from p2pvalue.web.naming import names_of
from p2pvalue.wording import Wording, english

CHART_NAMES = ("value", "reputation", "kinds", "active", "network", "places")


def granularity_of(asked: str) -> Granularity:
    """`week` or `month` (the default when nothing is asked); 422 for anything else."""
    if asked in ("", "month"):
        return "month"
    if asked == "week":
        return "week"
    raise P2PError("bad_granularity", f"granularity is one of {', '.join(GRANULARITIES)}", 422)


def namer(node: Node, dids: list[str]) -> Callable[[str], str]:
    """A member's name as anyone may see it (their public display name, else their user
    name here, else a shortened did): charts are the same for every viewer."""
    names = names_of(node, dids, None)
    return lambda did: names.get(did) or short_did(did)


def short_did(did: str) -> str:
    return f"{did[8:16]}…{did[-4:]}"


def space_charts(
    node: Node, space: str, granularity: Granularity, gettext: Wording = english
) -> dict[str, charts.Chart]:
    """The health page's charts, by name, worded by `gettext` (the page's language; the
    API's downloads keep English); drawn once while the log and the names stay the same."""
    insight = node.service(Insight)
    health = insight.health(space)
    names = dict(names_of(node, list(health.network.people) + list(health.values), None))
    language = i18n.current() if gettext is i18n.gettext else gettext
    key = ("charts", granularity, language, frozenset(names.items()))
    return insight.kept(space, key, lambda: _drawn(node, space, granularity, gettext, names))


def _drawn(
    node: Node, space: str, granularity: Granularity, gettext: Wording, names: dict[str, str]
) -> dict[str, charts.Chart]:  # fmt: skip
    insight = node.service(Insight)
    health = insight.health(space)

    def name_of(did: str) -> str:
        return names.get(did) or short_did(did)

    activity = health.activity[granularity]
    return {
        "value": charts.value_chart(insight.value_over_time(space), name_of, gettext),
        "reputation": charts.reputation_chart(
            insight.reputation_over_time(space), name_of, gettext
        ),
        "kinds": charts.kinds_chart(activity, granularity, gettext),
        "active": charts.active_chart(activity, granularity, gettext),
        "network": charts.network_chart(health.network, health.places, name_of, gettext),
        "places": charts.places_chart(health.places_over_time, name_of, gettext),
    }


def health_json(health: Health, granularity: Granularity) -> dict[str, Any]:
    """The measures of a space as JSON (see docs/insight.md)."""
    return {
        "space": health.space,
        "granularity": granularity,
        "activity": [asdict(row) for row in health.activity[granularity]],
        "cohorts": [asdict(row) for row in health.cohorts[granularity]],
        "absence_factor": health.absence_factor,
        "value_absence_factor": health.value_absence_factor,
        "elephant_factor": health.elephant_factor,
        "organisations_declared": len(health.organisations),
        "gini": health.gini,
        "top_tenth_share": health.top_tenth_share,
        "review": asdict(health.review),
        "decisions": [asdict(d) | {"turnout": d.turnout} for d in health.decisions],
        "delegation": asdict(health.delegation),
        "network": {
            "members": len(health.network.people),
            "links": len(health.network.edges),
            "places": dict(health.places),
            "over_time": {p: dict(places) for p, places in health.places_over_time.items()},
        },
    }
