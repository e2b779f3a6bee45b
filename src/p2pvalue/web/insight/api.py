"""The insight part of the API: a space's health measures, the data behind its charts
(CSV or JSON), and the anonymised research export where the charter allows it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from p2pvalue.errors import NotFound
from p2pvalue.insight.research import rows_csv
from p2pvalue.insight.service import Insight
from p2pvalue.web.auth import AccountDep, NodeDep
from p2pvalue.web.insight.views import CHART_NAMES, granularity_of, health_json, space_charts

router = APIRouter(prefix="/api/v1/spaces/{space_id}/insight", tags=["insight"])
CSV = "text/csv; charset=utf-8"


@router.get("")
def health(space_id: str, node: NodeDep, granularity: str = "month") -> JSONResponse:
    """The space's health: activity, retention, concentration, review, decisions, network."""
    found = node.service(Insight).health(space_id)
    return JSONResponse(health_json(found, granularity_of(granularity)))


@router.get("/charts/{name}.{format}")
def chart_data(
    space_id: str, name: str, format: Literal["csv", "json"], node: NodeDep,
    granularity: str = "month",
) -> Response:  # fmt: skip
    """The rows behind one of the health page's charts."""
    if name not in CHART_NAMES:
        raise NotFound("unknown_chart", f"charts are {', '.join(CHART_NAMES)}")
    chart = space_charts(node, space_id, granularity_of(granularity))[name]
    if format == "json":
        return JSONResponse({"title": chart.title, "sentence": chart.sentence,
                             "rows": chart.records()})  # fmt: skip
    return Response(rows_csv(chart.columns, chart.rows), media_type=CSV)


@router.get("/research/network.graphml")
def research_network(space_id: str, node: NodeDep, account: AccountDep) -> Response:
    """The anonymised collaboration network, for a member, where the charter allows it."""
    network, _ = node.service(Insight).research_export(space_id, account.did)
    return Response(network, media_type="application/graphml+xml")


@router.get("/research/activity.csv")
def research_activity(space_id: str, node: NodeDep, account: AccountDep) -> Response:
    """The anonymised contributions, for a member, where the charter allows it."""
    _, activity = node.service(Insight).research_export(space_id, account.did)
    return Response(activity, media_type=CSV)
