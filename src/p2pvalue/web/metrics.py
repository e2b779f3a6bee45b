"""`GET /metrics` for Prometheus: requests and their latency by route, events ingested by
outcome (`p2pvalue.metrics`), summed over the workers when several serve the node, and,
read from the store at each scrape, the depth of every delivery queue and how far
federation lags behind.

The metrics say how busy the node is and who it talks to, so only a scraper may read them:
one that presents the `metrics_token` of the node's configuration as a bearer token, or,
when no token is set, a client on this machine that did not come through a proxy."""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from p2pvalue.errors import NotFound
from p2pvalue.node import Node
from p2pvalue.store.schema import ap_deliveries, events, message_outbox, outbox
from p2pvalue.web.auth import NodeDep

REQUESTS = Counter(
    "p2pvalue_http_requests", "HTTP requests answered, by method, route and status",
    ["method", "route", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "p2pvalue_http_request_seconds", "Time to answer an HTTP request, by method and route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)  # fmt: skip
QUEUES = {"federation": outbox, "fediverse": ap_deliveries, "messages": message_outbox}
LOOPBACK = frozenset({"127.0.0.1", "::1"})
PROXIED = (b"x-forwarded-for", b"forwarded", b"x-real-ip")


class RequestMetrics:
    """Counts and times every HTTP request by its route's template (never its raw path, so
    a scan of random addresses adds no series)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)


class Queues(Collector):
    """Delivery queues as they stand in the store, read at each scrape."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "p2pvalue_queue_depth", "Deliveries waiting, by queue", labels=["queue"]
        )
        failing = GaugeMetricFamily(
            "p2pvalue_queue_retrying", "Deliveries waiting after a failed attempt, by queue",
            labels=["queue"],
        )  # fmt: skip
        now = self.node.clock()
        with self.node.engine.connect() as conn:
            for name, table in QUEUES.items():
                waiting = conn.execute(select(func.count()).select_from(table)).scalar_one()
                retrying = conn.execute(
                    select(func.count()).select_from(table).where(table.c.attempts > 0)
                ).scalar_one()
                depth.add_metric([name], waiting)
                failing.add_metric([name], retrying)
            oldest = conn.execute(
                select(func.min(events.c.ts)).select_from(
                    outbox.join(events, outbox.c.event_id == events.c.id)
                )
            ).scalar_one()
        yield depth
        yield failing
        yield GaugeMetricFamily(
            "p2pvalue_federation_lag_seconds",
            "Age of the oldest event still waiting to reach another node, by the event's "
            "time (0 when none waits)",
            value=max(0.0, (now - oldest) / 1000) if oldest is not None else 0.0,
        )


def _counters() -> CollectorRegistry:
    """This process's registry; with `p2pvalue serve --workers N`, which sets
    PROMETHEUS_MULTIPROC_DIR for its workers, what all of them counted, added up."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    workers = CollectorRegistry()
    MultiProcessCollector(workers)  # type: ignore[no-untyped-call]
    return workers


router = APIRouter(include_in_schema=False)


def _allowed(request: Request, token: str | None) -> bool:
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    proxied = any(name in request.headers for name in (h.decode() for h in PROXIED))
    client = request.client.host if request.client else ""
    return client in LOOPBACK and not proxied


@router.get("/metrics")
def metrics(request: Request, node: NodeDep) -> Response:
    """The node's metrics in Prometheus' text format; not found for anyone else."""
    if not _allowed(request, node.config.metrics_token):
        raise NotFound("not_found", "no such page")
    # The process's counters (every worker's, when several serve the node), then this
    # node's queues (a process may serve several nodes).
    own = CollectorRegistry(auto_describe=False)
    own.register(Queues(node))
    body = generate_latest(_counters()) + generate_latest(own)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
