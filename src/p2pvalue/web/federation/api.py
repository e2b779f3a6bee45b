"""The API other nodes call, under `/federation/v1`: every request signed by the calling
node (RFC 9421, `federation.signatures`), every refusal logged.

- `POST /spaces/{space}/events` takes pushed events through the write path, one outcome
  each, from a node the space's log names (`Replication.check_pusher`), checked before
  anything is fetched; if some wait for ancestors, the sender is asked for them at once,
  at a URL the log names it by.
- `GET /spaces/{space}/heads`, `GET /spaces/{space}/events?id=…` and
  `GET /spaces/{space}/log?after=&limit=` serve anti-entropy, missing ancestors and backfill
  as JSON lines of canonical events; `GET /spaces/{space}/log?before=` and
  `GET /spaces/{space}/summary` what a node copying the space shows meanwhile.

A node (or an address) that sends too many requests is slowed down with 429 `rate_limited`
and a `Retry-After` (`web.limits`).
"""

from __future__ import annotations

import gzip
import logging
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from p2pvalue import outbound
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.types import EVENT_ID_PATTERN
from p2pvalue.federation import joining, member_proof, peering
from p2pvalue.federation.replication import Replication
from p2pvalue.federation.signatures import signed_sender
from p2pvalue.node import Node
from p2pvalue.web.auth import AccountDep, NodeDep
from p2pvalue.web.limits import RateLimited, check_node

router = APIRouter(prefix="/federation/v1/spaces/{space_id}", tags=["federation"])
replicas = APIRouter(prefix="/api/v1/replicas", tags=["federation"])
LOG = logging.getLogger(__name__)
NDJSON = "application/x-ndjson"


async def _sender(request: Request) -> str:
    """The verified node behind a request, within its rate; refusals are logged."""
    try:
        sender = await signed_sender(request)
    except P2PError as error:
        LOG.warning("refused %s %s: %s", request.method, request.url.path, error.code)
        raise
    try:
        check_node(request, sender)
    except RateLimited:
        LOG.warning("rate-limited %s on %s", sender, request.url.path)
        raise
    return sender


async def _reader(request: Request, node: Node, space_id: str) -> str:
    """The verified node behind a read of a space, if it may read it: a private space's
    events go only to nodes its members or invitees live on (`Replication.check_reader`)."""
    sender = await _sender(request)
    proof = request.headers.get(member_proof.HEADER)
    try:
        await run_in_threadpool(node.service(Replication).check_reader, space_id, sender, proof)
    except P2PError as error:
        LOG.warning("refused %s %s to %s: %s", request.method, request.url.path, sender,
                    error.code)  # fmt: skip
        raise
    return sender


@router.post("/events")
async def receive_events(space_id: str, request: Request, node: NodeDep) -> JSONResponse:
    """Events a node the space's log names pushes, `{"from": its URL, "events": [...]}`: an
    outcome each. Missing ancestors are fetched from the sender at once, at a URL the log
    names it by, never at one only the push gives."""
    sender = await _sender(request)
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise P2PError("malformed_json", "the body is not valid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise P2PError("invalid_request", 'a push is {"from": url, "events": [...]}', 422)
    said = body.get("from") if isinstance(body.get("from"), str) else None
    try:
        await run_in_threadpool(
            node.service(Replication).check_pusher, sender, space_id, body["events"]
        )
    except P2PError as error:
        LOG.warning("refused a push of %s from %s: %s", space_id, sender, error.code)
        raise
    outcomes = await run_in_threadpool(
        node.service(Replication).receive, sender, space_id, body["events"], sender
    )
    for outcome in outcomes:
        if outcome.status == "refused":
            LOG.warning("refused an event from %s: %s %s", sender, outcome.code, outcome.message)
    if any(o.status == "pending" for o in outcomes):
        origin = await run_in_threadpool(node.service(Replication).home_url, space_id, sender, said)
        if origin is not None:
            replicator = request.app.state.replicator
            replicator.soon(replicator.pull(origin, space_id))
    return JSONResponse({"outcomes": [o.as_dict() for o in outcomes]})


@router.get("/heads")
async def heads(space_id: str, request: Request, node: NodeDep) -> dict[str, Any]:
    """The space's heads (events nothing here names as a parent) and how many events it has."""
    await _reader(request, node, space_id)
    found: dict[str, Any] = await run_in_threadpool(node.service(Replication).heads, space_id)
    return found


@router.get("/events")
async def events(
    space_id: str, request: Request, node: NodeDep, id: Annotated[list[str], Query()]
) -> Response:
    """The events named, those the space holds, parents first, one canonical event a line."""
    await _reader(request, node, space_id)
    bodies = await run_in_threadpool(node.service(Replication).bodies, space_id, id)
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
        page = await run_in_threadpool(node.service(Replication).page, space_id, after, limit)
    else:
        page = await run_in_threadpool(joining.newest_bodies, node.wiring, space_id, before, limit)
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
    await _reader(request, node, space_id)
    found: dict[str, Any] = await run_in_threadpool(joining.report_of, node.wiring, space_id)
    return found


class Replica(BaseModel):
    space: str = Field(pattern=EVENT_ID_PATTERN)
    peer: str = Field(max_length=200, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


@replicas.post("", status_code=202)
async def replicate(
    body: Replica, request: Request, node: NodeDep, account: AccountDep
) -> dict[str, Any]:
    """Hold a space from another node here too, or replicate a space held here with one
    more node: its log is copied in the background, the space shown provisionally
    meanwhile (`GET /api/v1/spaces/{id}` has `sync` until the copy ends). A space held
    here needs the charter's `replica.add` right, one not held yet a node admin; the peer
    must be an address this node sends requests to."""
    await run_in_threadpool(peering.check_may_add_peer, node.wiring, account, body.space)
    node.service(Replication).vouch(body.space, node.accounts.key_of(account))
    peer = body.peer.rstrip("/")
    try:
        await outbound.check_url(peer, outbound.Policy.of(node.config.outbound_allow))
    except OSError:
        raise P2PError("unknown_host", f"the host of {peer} does not resolve", 422) from None
    replicator = request.app.state.replicator
    replicator.soon(replicator.backfill(peer, body.space))
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
