"""The ActivityPub endpoints of a node (see docs/fediverse.md): WebFinger, the actors, each
public space's inbox, outbox and followers, and the notes and activities they name.

Documents are `application/activity+json`, readable by anyone. Inboxes take only requests
signed by their actor (cavage rsa-sha256, or RFC 9421) and answer 202; every refusal is
logged with its code and stores nothing. With no public URL, every endpoint answers 404
`activitypub_disabled`.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from p2pvalue.errors import P2PError
from p2pvalue.fediverse import Fediverse
from p2pvalue.fediverse.actors import ACTIVITY_JSON, JRD_JSON
from p2pvalue.fediverse.inbox import Incoming
from p2pvalue.store.activitypub import RemoteReply

router = APIRouter(tags=["activitypub"])
LOG = logging.getLogger(__name__)
CACHE = {"Cache-Control": "max-age=60"}


def fediverse_of(request: Request) -> Fediverse:
    fediverse: Fediverse = request.app.state.fediverse
    return fediverse


FediverseDep = Annotated[Fediverse, Depends(fediverse_of)]


def reply_json(reply: RemoteReply) -> dict[str, Any]:
    """A reply from a fediverse account as pages and the API show it: plain text, with who
    wrote it (`handle` as `user@host`, display `name`, `profile` URL)."""
    return {
        "id": reply.note_id, "in_reply_to": reply.in_reply_to, "actor": reply.actor,
        "handle": reply.handle, "name": reply.name, "profile": reply.profile_url,
        "text": reply.text, "received": reply.received_at,
        "edited": reply.updated_at is not None, "fediverse": True,
    }  # fmt: skip


class ActivityJSON(JSONResponse):
    media_type = ACTIVITY_JSON


def _document(document: dict[str, Any], status: int = 200) -> ActivityJSON:
    return ActivityJSON(document, status_code=status, headers=CACHE)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


@router.get("/.well-known/webfinger")
def webfinger(fediverse: FediverseDep, resource: str | None = None) -> Response:
    """Resolve `acct:{handle}@{host}` (or an actor's IRI) to the actor's IRI."""
    return JSONResponse(fediverse.webfinger(resource), media_type=JRD_JSON, headers=CACHE)


@router.get("/ap/actor")
def application(fediverse: FediverseDep) -> ActivityJSON:
    """The node's own actor, which signs the node's requests for actor documents."""
    return _document(fediverse.application())


@router.get("/ap/spaces/{space_id}", response_model=None)
def group(space_id: str, request: Request, fediverse: FediverseDep) -> Response:
    """A public space's Group actor (a browser is sent to the space's page)."""
    document = fediverse.group(space_id)
    if _wants_html(request):
        return RedirectResponse(document["url"], status_code=303)
    return _document(document)


@router.get("/ap/spaces/{space_id}/outbox")
def outbox(
    space_id: str, fediverse: FediverseDep, page: bool = False,
    before: Annotated[int | None, Query(ge=0)] = None,
) -> ActivityJSON:  # fmt: skip
    """The group's announces, newest first: the collection, or with `?page=true` a page
    (`&before=` a log position, as each page's `next` gives it)."""
    return _document(fediverse.outbox(space_id, page=page, before=before))


@router.get("/ap/spaces/{space_id}/followers")
def followers(space_id: str, fediverse: FediverseDep) -> ActivityJSON:
    """How many follow the group (not who)."""
    return _document(fediverse.followers(space_id))


@router.get("/ap/members/{did}")
def person(did: str, fediverse: FediverseDep) -> ActivityJSON:
    """The Person a member of a public space is to the fediverse."""
    return _document(fediverse.person(did))


@router.get("/ap/members/{did}/outbox")
def member_outbox(
    did: str, fediverse: FediverseDep, page: bool = False,
    before: Annotated[int | None, Query(ge=0)] = None,
) -> ActivityJSON:  # fmt: skip
    """A member's public posts as Creates, newest first: the collection, or with
    `?page=true` a page (`&before=` as each page's `next` gives it)."""
    return _document(fediverse.member_outbox(did, page=page, before=before))


@router.get("/ap/objects/{event_id}")
def note(event_id: str, fediverse: FediverseDep) -> ActivityJSON:
    """A public post or decision as a Note (410 and a Tombstone once erased)."""
    status, document = fediverse.published(event_id, "note")
    return _document(document, status)


@router.get("/ap/activities/{event_id}")
def create(event_id: str, fediverse: FediverseDep) -> ActivityJSON:
    """The Create of a public post or decision."""
    status, document = fediverse.published(event_id, "create")
    return _document(document, status)


@router.get("/ap/activities/{event_id}/announce")
def announce(event_id: str, fediverse: FediverseDep) -> ActivityJSON:
    """The group's Announce of a public post or decision."""
    status, document = fediverse.published(event_id, "announce")
    return _document(document, status)


@router.post("/ap/spaces/{space_id}/inbox", status_code=202)
async def group_inbox(space_id: str, request: Request, fediverse: FediverseDep) -> JSONResponse:
    """A public space's inbox: a signed Follow of the group, or the Undo of one."""
    return await _receive(request, fediverse, space_id)


@router.post("/ap/inbox", status_code=202)
async def shared_inbox(request: Request, fediverse: FediverseDep) -> JSONResponse:
    """The node's shared inbox: the same as a group's, for any group of the node."""
    return await _receive(request, fediverse, None)


async def _receive(request: Request, fediverse: Fediverse, space: str | None) -> JSONResponse:
    try:
        urls = fediverse.urls
        if space is not None:
            await run_in_threadpool(fediverse.public_space, space)
        target = _request_target(request)
        incoming = Incoming(
            request.method, target, _headers(request, urls.host), await request.body(),
            urls.base + target.split(" ", 1)[1],
        )  # fmt: skip
        outcome = await fediverse.receive(incoming)
    except P2PError as error:
        LOG.warning("refused an activity at %s: %s %s", request.url.path, error.code,
                    error.message)  # fmt: skip
        raise
    return JSONResponse({"status": outcome}, status_code=202)


def _request_target(request: Request) -> str:
    """`(request-target)` as the sender signed it: the raw path and query, not decoded."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{request.method.lower()} {path}" + (f"?{query}" if query else "")


def _headers(request: Request, host: str) -> dict[str, str]:
    """The request's headers by lowercase name (repeated ones joined), with `host` the
    node's public host: what the sender addressed, whatever a proxy sent on."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    headers["host"] = host
    return headers
