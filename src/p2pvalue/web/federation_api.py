"""The API other nodes call, under `/federation/v1`: every request signed by the calling
node (RFC 9421, `federation.signatures`), every refusal logged.

- `POST /spaces/{space}/events` takes pushed events through the write path, one outcome
  each; if some wait for ancestors, the sender is asked for them at once.
- `GET /spaces/{space}/heads`, `GET /spaces/{space}/events?id=…` and
  `GET /spaces/{space}/log?after=&limit=` serve anti-entropy, missing ancestors and backfill
  as JSON lines of canonical events; `GET /spaces/{space}/log?before=` and
  `GET /spaces/{space}/summary` what a node copying the space shows meanwhile.

A node that sends too many requests is slowed down with 429 `rate_limited`.
"""

from __future__ import annotations

import gzip
import logging
import time
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.types import EVENT_ID_PATTERN
from p2pvalue.federation import joining
from p2pvalue.federation.signatures import signed_sender
from p2pvalue.node import Node
from p2pvalue.web.auth import AccountDep, NodeDep

router = APIRouter(prefix="/federation/v1/spaces/{space_id}", tags=["federation"])
replicas = APIRouter(prefix="/api/v1/replicas", tags=["federation"])
LOG = logging.getLogger(__name__)
NDJSON = "application/x-ndjson"
RATE_PER_S = 50.0
BURST = 200.0


class RateLimit:
    """A token bucket per sending node."""

    def __init__(self, rate: float = RATE_PER_S, burst: float = BURST) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}

    def take(self, sender: str) -> bool:
        now = time.monotonic()
        tokens, then = self.buckets.get(sender, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens < 1:
            self.buckets[sender] = (tokens, now)
            return False
        self.buckets[sender] = (tokens - 1, now)
        return True


async def _sender(request: Request) -> str:
    """The verified node behind a request, within its rate; refusals are logged."""
    try:
        sender = await signed_sender(request)
    except P2PError as error:
        LOG.warning("refused %s %s: %s", request.method, request.url.path, error.code)
        raise
    limits: RateLimit = request.app.state.federation_limits
    if not limits.take(sender):
        LOG.warning("rate-limited %s on %s", sender, request.url.path)
        raise P2PError("rate_limited", "too many requests from your node: slow down", 429)
    return sender


async def _reader(request: Request, node: Node, space: str) -> str:
    """The verified node behind a request to read a space's log, if it may read it."""
    sender = await _sender(request)
    await run_in_threadpool(node.replication.check_reader, space, sender)
    return sender


@router.post("/events")
async def receive_events(space_id: str, request: Request, node: NodeDep) -> JSONResponse:
    """Events another node pushes, `{"from": its URL, "events": [...]}`: an outcome each."""
    sender = await _sender(request)
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise P2PError("malformed_json", "the body is not valid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise P2PError("invalid_request", 'a push is {"from": url, "events": [...]}', 422)
    origin = body.get("from") if isinstance(body.get("from"), str) else None
    outcomes = await run_in_threadpool(
        node.replication.receive, origin or sender, space_id, body["events"]
    )
    for outcome in outcomes:
        if outcome.status == "refused":
            LOG.warning("refused an event from %s: %s %s", sender, outcome.code, outcome.message)
    if origin and any(o.status == "pending" for o in outcomes):
        replicator = request.app.state.replicator
        replicator.soon(replicator.pull(origin, space_id))
    return JSONResponse({"outcomes": [o.as_dict() for o in outcomes]})


@router.get("/heads")
async def heads(space_id: str, request: Request, node: NodeDep) -> dict[str, Any]:
    """The space's heads (events nothing here names as a parent) and how many events it has."""
    await _reader(request, node, space_id)
    found: dict[str, Any] = await run_in_threadpool(node.replication.heads, space_id)
    return found


@router.get("/events")
async def events(
    space_id: str, request: Request, node: NodeDep, id: Annotated[list[str], Query()]
) -> Response:
    """The events named, those the space holds, parents first, one canonical event a line."""
    await _reader(request, node, space_id)
    bodies = await run_in_threadpool(node.replication.bodies, space_id, id)
    return Response(b"\n".join(bodies), media_type=NDJSON)


@router.get("/log")
async def log_page(
    space_id: str, request: Request, node: NodeDep,
    after: Annotated[int, Query(ge=-1)] = -1,
    before: Annotated[int | None, Query(ge=0, le=joining.NEWEST)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Response:  # fmt: skip
    """A page of the space's log in its order after a position or, given `before`, newest
    first before one (2^53: from the end); the page's last position is in the
    `P2P-Last-Position` header (an empty body: the end). Gzipped when the caller accepts
    it."""
    await _reader(request, node, space_id)
    if before is None:
        page = await run_in_threadpool(node.replication.page, space_id, after, limit)
    else:
        page = await run_in_threadpool(joining.newest_bodies, node, space_id, before, limit)
    last = page[-1][0] if page else (after if before is None else before)
    body = b"\n".join(body for _, body in page)
    headers = {"P2P-Last-Position": str(last)}
    if "gzip" in request.headers.get("accept-encoding", ""):
        # Canonical JSON compresses to about a third; level 1 costs the sender little.
        body = await run_in_threadpool(gzip.compress, body, 1)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=NDJSON, headers=headers)


@router.get("/summary")
async def summary(space_id: str, request: Request, node: NodeDep) -> dict[str, Any]:
    """This node's report of the space (name, counts, heads, members), which a node that
    starts copying it shows, marked provisional, until it has folded the log itself."""
    await _sender(request)
    found: dict[str, Any] = await run_in_threadpool(joining.report_of, node, space_id)
    return found


class Replica(BaseModel):
    space: str = Field(pattern=EVENT_ID_PATTERN)
    peer: str = Field(max_length=200, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


@replicas.post("", status_code=202)
async def replicate(body: Replica, request: Request, account: AccountDep) -> dict[str, Any]:
    """Hold a space from another node here too (so a member of this node can join it): its
    log is copied in the background, the space shown provisionally meanwhile
    (`GET /api/v1/spaces/{id}` has `sync` until the copy ends)."""
    replicator = request.app.state.replicator
    replicator.soon(replicator.backfill(body.peer.rstrip("/"), body.space))
    return {"space": body.space, "peer": body.peer, "status": "backfilling"}


def provisional_of(
    request: Request, node: Node, space_id: str
) -> tuple[joining.Provisional, dict[str, Any]] | None:
    """If this node is copying the space's log: what the space is shown by meanwhile, and
    the space as `GET /api/v1/spaces/{id}` gives it then (with `sync`)."""
    replicator = getattr(request.app.state, "replicator", None)
    view: joining.Provisional | None = replicator.joining.get(space_id) if replicator else None
    if view is None:
        return None
    try:
        fold: dict[str, Any] | None = node.space(space_id).as_dict()
    except NotFound:
        fold = None
    return view, joining.space_view(view, fold)
