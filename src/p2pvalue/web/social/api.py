"""The social API: profiles, follows, the feed and its live stream (server-sent events),
and a member's notifications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from p2pvalue.accounts import Account
from p2pvalue.errors import Forbidden, Unauthorized
from p2pvalue.social import Social
from p2pvalue.social.feed import CURSOR, MAX_PAGE
from p2pvalue.social.notifications import DEFAULT_LIMIT, KINDS, MAX_LIMIT
from p2pvalue.social.stream import HEARTBEAT_S
from p2pvalue.store.social import PERSON, SPACE
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.contract import ED25519_DID

router = APIRouter(prefix="/api/v1", tags=["social"])
ME = "me"
# A member's profile is named by their Ed25519 did:key, or `me` for your own.
MemberOrMe = Annotated[str, Path(pattern=f"^(me|{ED25519_DID})$")]


class ProfileField(BaseModel):
    value: Any
    visibility: str = "private"


ProfileBody = Annotated[dict[str, ProfileField], Body(examples=[{
    "display_name": {"value": "Ana", "visibility": "public"},
    "skills": {"value": ["electronics", "docs"], "visibility": "members"},
}])]  # fmt: skip


def _who(did: str, account: Account | None) -> str:
    if did != ME:
        return did
    if account is None:
        raise Unauthorized("not_authenticated", "log in or send a bearer token")
    return account.did


@router.get("/members/{did}/profile")
def get_profile(did: MemberOrMe, node: NodeDep, viewer: MaybeAccountDep) -> dict[str, Any]:
    """A member's profile: only the fields you may see (`me`: your own, all of it)."""
    return node.service(Social).profiles.get(_who(did, viewer), viewer)


@router.put("/members/{did}/profile")
def put_profile(
    did: MemberOrMe, body: ProfileBody, account: AccountDep, node: NodeDep
) -> dict[str, Any]:
    """Replace your own profile; each field says who may see it (public, members, private)."""
    given = {name: field.model_dump() for name, field in body.items()}
    return node.service(Social).profiles.replace(account, _who(did, account), given)


@router.delete("/members/{did}/profile")
def erase_profile(did: MemberOrMe, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Erase your own profile from this node."""
    if _who(did, account) != account.did:
        raise Forbidden("not_your_profile", "you may erase only your own profile")
    return {"erased": node.service(Social).profiles.erase(account)}


@router.get("/me/follows")
def my_follows(account: AccountDep, node: NodeDep) -> dict[str, Any]:
    return node.service(Social).follows.of(account.did)


@router.put("/me/follows/spaces/{space_id}")
def follow_space(space_id: str, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    node.service(Social).follows.follow_space(account, space_id)
    return {"space": space_id, "following": True}


@router.delete("/me/follows/spaces/{space_id}")
def unfollow_space(space_id: str, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    stopped = node.service(Social).follows.unfollow(account, SPACE, space_id)
    return {"space": space_id, "following": False, "stopped": stopped}


@router.put("/me/follows/members/{did}")
def follow_member(did: str, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    node.service(Social).follows.follow_member(account, did)
    return {"member": did, "following": True}


@router.delete("/me/follows/members/{did}")
def unfollow_member(did: str, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    stopped = node.service(Social).follows.unfollow(account, PERSON, did)
    return {"member": did, "following": False, "stopped": stopped}


@router.get("/me/feed")
def my_feed(
    account: AccountDep,
    node: NodeDep,
    before: str | None = Query(
        None,
        max_length=40,
        description="a page's `next` cursor",
        json_schema_extra={"pattern": f"^{CURSOR.pattern}$"},
    ),
    limit: int = Query(50, ge=1, le=MAX_PAGE),
) -> dict[str, Any]:
    """What the followed did, newest first; pass `next` as `before` for the older page."""
    page = node.service(Social).feed.page(account.did, before, limit)
    return {"items": page.items, "next": page.next}


@router.get("/me/feed/stream", response_class=StreamingResponse)
async def my_feed_stream(account: AccountDep, node: NodeDep) -> StreamingResponse:
    """New feed items as server-sent events (`event: item`), from now on."""
    stream = node.service(Social).stream
    subscription = stream.open(account.did)
    await run_in_threadpool(stream.note_readable, subscription)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        stream.events(subscription, HEARTBEAT_S), media_type="text/event-stream", headers=headers
    )


@router.get("/me/notifications")
def my_notifications(
    account: AccountDep,
    node: NodeDep,
    kind: str | None = Query(
        None, max_length=40, description="only this kind", json_schema_extra={"enum": KINDS}
    ),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> dict[str, Any]:
    """Posts mentioning you, claims you may review, reviews of your claims and decisions on
    them, payouts to you, tasks assigned to you, and proposals open to your vote, closing
    soon or decided, across your spaces, newest first; each with its `id` and whether you
    marked it `read`."""
    return {"notifications": node.service(Social).notifications.of(account.did, kind, limit)}


class ReadBody(BaseModel):
    ids: list[Annotated[str, StringConstraints(max_length=100)]] | None = Field(
        None, max_length=MAX_LIMIT, description="the notifications to mark read; all when absent"
    )


@router.post("/me/notifications/read")
def mark_notifications_read(
    account: AccountDep, node: NodeDep, body: ReadBody | None = None
) -> dict[str, int]:
    """Mark your notifications read (those named, or all of them); how many were newly
    marked and how many are still unread. Ids that name none of yours are ignored."""
    notifications = node.service(Social).notifications
    marked = notifications.mark_read(account.did, body.ids if body else None)
    return {"marked": marked, "unread": notifications.unread(account.did)}
