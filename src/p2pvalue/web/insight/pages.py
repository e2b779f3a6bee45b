"""The health page of a space: measures in sentences and tables, charts drawn on the server
with their words and data beside them; and a member's small value-over-time chart."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from p2pvalue.errors import NotFound, P2PError
from p2pvalue.insight import charts
from p2pvalue.insight.service import Insight
from p2pvalue.web import i18n
from p2pvalue.web.auth import MaybeAccountDep, NodeDep
from p2pvalue.web.insight.views import granularity_of, namer, space_charts
from p2pvalue.web.layout import render

router = APIRouter(include_in_schema=False)


@router.get("/spaces/{space_id}/insight")
def health_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep,
    granularity: str = "month",
) -> HTMLResponse:  # fmt: skip
    """How the community is doing, week by week or month by month."""
    try:
        space = node.space(space_id)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    problem, status = None, 200
    try:
        unit = granularity_of(granularity)
    except P2PError as refusal:
        problem, status, unit = refusal.message, 422, "month"
    insight = node.service(Insight)
    health = insight.health(space_id)
    drawn = space_charts(node, space_id, unit, i18n.gettext)
    name_of = namer(node, list(health.review.load))
    return render(
        request, "insight.html", account, status, error=problem, space=space, health=health,
        unit=unit, activity=health.activity[unit][-12:], cohorts=health.cohorts[unit][-12:],
        charts=drawn, name_of=name_of, export=insight.export_allowed(space_id),
        is_member=account is not None and account.did in health.members,
    )  # fmt: skip


@router.get("/spaces/{space_id}/insight/value.svg")
def value_svg(space_id: str, node: NodeDep) -> Response:
    """The space's value over time, for its value page (the words and rows are on the
    health page and in its downloads)."""
    insight = node.service(Insight)
    rows = insight.value_over_time(space_id)
    chart = charts.value_chart(rows, namer(node, sorted({str(r["member"]) for r in rows})))
    return Response(chart.svg or charts.EMPTY, media_type="image/svg+xml")


@router.get("/spaces/{space_id}/insight/members/{member}/value.svg")
def member_value_svg(space_id: str, member: str, node: NodeDep) -> Response:
    """A member's value over time, small, for their page in the space."""
    rows = node.service(Insight).value_over_time(space_id, member)
    chart = charts.member_value_chart(rows, namer(node, [member]))
    return Response(chart.svg, media_type="image/svg+xml")
