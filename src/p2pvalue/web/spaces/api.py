"""The versioned JSON API: accounts, sessions, spaces, members and events."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool
from starlette.concurrency import run_in_threadpool

from p2pvalue.accounts import USERNAME
from p2pvalue.errors import Forbidden, P2PError
from p2pvalue.events.canonical import unb64u
from p2pvalue.federation.replication import Replication
from p2pvalue.fediverse import Fediverse
from p2pvalue.governance.templates import template
from p2pvalue.ingest import Outcome
from p2pvalue.node import Node
from p2pvalue.store.events import StoredEvent
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.federation.api import provisional_of
from p2pvalue.web.fediverse.api import reply_json

router = APIRouter(prefix="/api/v1")
MAX_BATCH = 100
POST = "post.create"  # a space post, which fediverse accounts may answer


class Credentials(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1024)


class NewAccount(Credentials):
    username: str = Field(max_length=200, json_schema_extra={"pattern": f"^{USERNAME.pattern}$"})
    key: str | None = Field(
        None, max_length=64, description="the seed of your key (base64url), to move here with it"
    )


class PasswordCheck(BaseModel):
    password: str = Field(max_length=1024)


class NewSpace(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    membership: Literal["open", "approval", "invite"] = "open"
    template: Literal["open_source", "cooperative", "maker_network"] | None = None
    charter: dict[str, Any] | None = None
    private: StrictBool = False


class Action(BaseModel):
    type: str = Field(max_length=64)
    content: dict[str, Any] = Field(default_factory=dict)


def event_json(event: StoredEvent) -> dict[str, Any]:
    """An event as stored: its signed form (`event`, sealed in a private space) and its
    readable `content` (what the space key opened, in a private space)."""
    return {
        "id": event.id,
        "space": event.space,
        "type": event.type,
        "author": event.author,
        "ts": event.ts,
        "position": event.position,
        "accepted": event.accepted,
        "reason": event.reason,
        "content": event.content,
        "event": event.wire,
    }


def outcome_response(outcome: Outcome) -> JSONResponse:
    body = outcome.as_dict()
    if outcome.status == "refused":
        body = {"error": {"code": outcome.code, "message": outcome.message}, **body}
    elif outcome.status == "rejected":
        body = {
            "error": {
                "code": "not_authorized",
                "message": outcome.message,
                "reason": outcome.message,
            },
            **body,
        }
    return JSONResponse(body, status_code=outcome.http_status)


@router.post("/accounts", status_code=201, tags=["accounts"])
def register(body: NewAccount, node: NodeDep) -> dict[str, Any]:
    """Open an account: a password and a fresh Ed25519 identity (`did:key`), or the key you
    exported from another node (`key`): your identity, history, memberships and roles move
    with it, and your spaces learn your new home when this node announces it."""
    account = node.accounts.register(body.username, body.password, _seed(body.key))
    return {"username": account.username, "did": account.did}


@router.post("/accounts/me/home", tags=["accounts"])
def announce_home(account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Tell every space of yours this node holds that you live here now (`member.home`)."""
    return {"spaces": node.service(Replication).announce_home(account)}


def _seed(key: str | None) -> bytes | None:
    if key is None:
        return None
    try:
        seed = unb64u(key)
    except ValueError:
        seed = b""
    if len(seed) != 32:
        raise P2PError("bad_key", "key is the 32-byte seed of an Ed25519 key, in base64url", 422)
    return seed


@router.post(
    "/sessions", status_code=201, tags=["accounts"],
    responses={401: {"description": "unknown name or wrong password"},
               429: {"description": "the name is locked after failed logins (Retry-After)"}},
)  # fmt: skip
def login(body: Credentials, node: NodeDep) -> dict[str, Any]:
    """Log in; the answer's token goes in `Authorization: Bearer …`. After 5 failures in a
    row the name is locked for a while (429 `login_locked`, with `Retry-After`)."""
    account = node.accounts.check_password(body.username, body.password)
    token = node.accounts.open_session(account, "bearer")
    return {
        "token": token,
        "token_type": "bearer",
        "username": account.username,
        "did": account.did,
    }


@router.get("/accounts/me", tags=["accounts"])
def me(account: AccountDep) -> dict[str, Any]:
    return {"username": account.username, "did": account.did}


@router.post("/accounts/me/key", tags=["accounts"])
def export_key(body: PasswordCheck, account: AccountDep, node: NodeDep) -> dict[str, str]:
    """Export your secret key (after giving your password again) to take it to another node."""
    return node.accounts.export_key(account, body.password)


@router.get("/spaces", tags=["spaces"])
def list_spaces(node: NodeDep, account: MaybeAccountDep) -> dict[str, Any]:
    """The public spaces on this node, and the private ones you are in."""
    return {"spaces": [s.as_dict() for s in node.spaces(account.did if account else None)]}


@router.post("/spaces", status_code=201, tags=["spaces"])
def create_space(body: NewSpace, account: AccountDep, node: NodeDep) -> JSONResponse:
    """Found a space: signs its `space.create` event, whose id becomes the space id. The
    charter is the one given, else the named template's, else the default. A `private`
    space's events are sealed under a key only its members hold (membership `invite`)."""
    charter = body.charter or (template(body.template) if body.template else None)
    outcome = node.create_space(
        account, body.name, body.description, body.membership, charter, private=body.private
    )
    return outcome_response(outcome)


@router.get("/spaces/{space_id}", tags=["spaces"])
def get_space(space_id: str, request: Request, node: NodeDep) -> dict[str, Any]:
    """The space, its charter and counts. While this node copies its log from another node,
    also `sync`: how far the copy is, and the members and newest events the other node
    shows, `provisional` until this node has folded them itself."""
    joining = provisional_of(request, node, space_id)
    return joining[1] if joining is not None else node.space(space_id).as_dict()


@router.get("/spaces/{space_id}/members", tags=["spaces"])
def list_members(space_id: str, node: NodeDep) -> dict[str, Any]:
    return {"members": node.members(space_id)}


@router.post("/spaces/{space_id}/actions", tags=["events"])
def act(space_id: str, body: Action, account: AccountDep, node: NodeDep) -> JSONResponse:
    """Take an action in a space: the node signs it with your key and ingests it."""
    return outcome_response(node.act(account, space_id, body.type, body.content))


@router.get("/spaces/{space_id}/events", tags=["events"])
def list_events(
    space_id: str,
    node: NodeDep,
    after: int = Query(-1, ge=-1, le=2**53, description="position to continue after"),
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """A page of a space's log in its deterministic order, rejected events included."""
    page = node.events(space_id, after=after, limit=limit)
    following = page[-1].position if len(page) == limit else None
    replies = post_replies(node, space_id, [e.id for e in page if e.type == POST])
    shown = [_with_replies(event_json(e), replies) for e in page]
    return {"events": shown, "next": following}


def post_replies(node: Node, space: str, posts: list[str]) -> Replies:
    """The replies fediverse accounts sent to each of the space's `posts` that has any,
    oldest first (see `reply_json`)."""
    kept = node.service(Fediverse).replies.to_events(space, posts)
    return {post: [reply_json(r) for r in replies] for post, replies in kept.items()}


Replies = dict[str, list[dict[str, Any]]]


def _with_replies(shown: dict[str, Any], replies: Replies) -> dict[str, Any]:
    """A post's event with its `remote_replies` (none is `[]`); any other event as it is."""
    if shown["type"] != POST:
        return shown
    return {**shown, "remote_replies": replies.get(shown["id"], [])}


@router.get("/events/{event_id}", tags=["events"])
def get_event(event_id: str, node: NodeDep) -> dict[str, Any]:
    return event_json(node.event(event_id))


# The body /events reads itself: one event object or an array of them.
SUBMITTED = {"oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}
SUBMITTED_BODY = {"required": True, "content": {"application/json": {"schema": SUBMITTED}}}


@router.post(
    "/events", tags=["events"], responses={201: {}, 202: {}, 403: {}, 422: {}},
    openapi_extra={"requestBody": SUBMITTED_BODY},
)  # fmt: skip
async def submit(request: Request, node: NodeDep, account: AccountDep) -> JSONResponse:
    """Submit events signed elsewhere (by any key): one event object, or an array of up to
    100. Needs a bearer token; a space can be founded this way only with your own key."""
    try:
        payload = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise P2PError("malformed_json", "the body is not valid JSON", 400) from None
    events = payload if isinstance(payload, list) else [payload]
    if not all(isinstance(event, dict) for event in events):
        raise P2PError("invalid_request", "an event is a JSON object", 422)
    for event in events:
        founding = event.get("type") == "space.create"
        if founding and event.get("author") != account.did:
            raise Forbidden("not_your_space", "found spaces here with your own key only")
    if isinstance(payload, list):
        if len(payload) > MAX_BATCH:
            raise P2PError("batch_too_large", f"at most {MAX_BATCH} events per request", 413)
        outcomes = await run_in_threadpool(node.submit, account, payload)
        return JSONResponse({"results": [o.as_dict() for o in outcomes]}, status_code=200)
    outcomes = await run_in_threadpool(node.submit, account, [payload])
    return outcome_response(outcomes[0])
