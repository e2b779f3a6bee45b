"""Where other nodes deliver sealed direct messages for this node's members:
`POST /federation/v1/messages`, signed by the delivering node (RFC 9421,
`federation.signatures`), within the same rate as the rest of federation. Every refusal is
logged; what is stored is the ciphertext and the sender's signature, nothing else."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from p2pvalue.errors import P2PError
from p2pvalue.federation.signatures import signed_sender
from p2pvalue.social import Social
from p2pvalue.web.auth import NodeDep
from p2pvalue.web.limits import check_node

router = APIRouter(prefix="/federation/v1", tags=["federation"])
LOG = logging.getLogger(__name__)
FIELDS = {"from": 100, "to": 100, "signature": 200}  # the longest each may be
SHAPE = '{"from": did, "to": did, "ciphertext": base64url, "signature": base64url, "sent_at": ms}'


async def _sender(request: Request) -> str:
    """The verified node behind a request, within its rate."""
    sender = await signed_sender(request)
    check_node(request, sender)
    return sender


def parse_delivery(body: bytes) -> dict[str, Any]:
    """A delivery's fields, once the body has their shape."""
    try:
        found = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise P2PError("malformed_json", "the body is not valid JSON") from None
    if not isinstance(found, dict) or not isinstance(found.get("ciphertext"), str):
        raise P2PError("invalid_request", f"a delivery is {SHAPE}", 422)
    for name, longest in FIELDS.items():
        value = found.get(name)
        if not isinstance(value, str) or len(value) > longest:
            raise P2PError("invalid_request", f"{name}: a string of at most {longest}", 422)
    sent_at = found.get("sent_at")
    if sent_at is not None and type(sent_at) is not int:
        raise P2PError("invalid_request", "sent_at: milliseconds since 1970", 422)
    return found


@router.post("/messages")
async def receive_message(request: Request, node: NodeDep) -> JSONResponse:
    """A sealed message another node delivers for a member of this node: 201 `stored`, or
    200 `duplicate` when this node holds it already."""
    try:
        sender = await _sender(request)
        found = parse_delivery(await request.body())
        messages = node.service(Social).messages
        key, new = await run_in_threadpool(
            messages.receive, sender, found["from"], found["to"], found["ciphertext"],
            found["signature"], found.get("sent_at"),
        )  # fmt: skip
    except P2PError as error:
        LOG.warning("refused a message delivery: %s %s", error.code, error.message)
        raise
    status = "stored" if new else "duplicate"
    return JSONResponse({"id": key, "status": status}, status_code=201 if new else 200)
