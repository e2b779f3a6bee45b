"""The membership part of the API: invitations by username, invite links, join requests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from p2pvalue.membership.links import LIFETIMES, USES
from p2pvalue.membership.service import Membership, status_of
from p2pvalue.web.auth import AccountDep, NodeDep
from p2pvalue.web.contract import ERROR_SCHEMA

router = APIRouter(prefix="/api/v1", tags=["membership"])
SPACE = "/spaces/{space_id}"
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
Token = Annotated[str, Path(pattern=TOKEN_PATTERN, max_length=64)]
LinkId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", max_length=16)]
ERROR_REF = f"#/components/schemas/{ERROR_SCHEMA}"
GONE = {
    410: {
        "description": "Gone: the invite link expired, was used up or was withdrawn",
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
    }
}


class InvitationBody(BaseModel):
    username: str = Field(min_length=1, max_length=40)


class LinkBody(BaseModel):
    hours: int = Field(24 * 7, description=f"how long the link lasts: one of {LIFETIMES}")
    uses: int = Field(1, description=f"how many people it admits: one of {USES}")


class RequestBody(BaseModel):
    message: str = Field(default="", max_length=2000)


@router.post(SPACE + "/invitations", status_code=201)
def invite(
    space_id: str, body: InvitationBody, account: AccountDep, node: NodeDep
) -> dict[str, Any]:
    """Invite the member of this node called `username`: `how` says what the charter let
    you do: `invited` (they may now join), `admitted` (they had asked), or `proposed` (a
    membership proposal, `proposal`, puts it to the community). 404 `unknown_user`."""
    return node.service(Membership).invite(account, space_id, body.username)


@router.post(SPACE + "/invitations/accept", status_code=201)
def accept(space_id: str, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Join a space you were invited to (404 `no_invitation` if you were not)."""
    return {"space": space_id, "event": node.service(Membership).accept(account, space_id)}


@router.post(SPACE + "/invite-links", status_code=201)
def make_link(space_id: str, body: LinkBody, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Make an invite link: whoever follows it before it expires, up to `uses` people,
    joins. `token` is shown once: the node keeps only its hash. The link is
    `/join/{token}` on this node."""
    made = node.service(Membership).make_link(account, space_id, body.hours, body.uses)
    return {**made, "path": f"/join/{made['token']}"}


@router.get(SPACE + "/invite-links")
def list_links(space_id: str, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """The invite links you made to this space, newest first, with their `state`."""
    return {"links": node.service(Membership).links_of(account, space_id)}


@router.delete(SPACE + "/invite-links/{link_id}")
def revoke_link(
    space_id: str, link_id: LinkId, account: AccountDep, node: NodeDep
) -> dict[str, Any]:
    """Withdraw an invite link you made: following it gives 410 from now on."""
    return node.service(Membership).revoke_link(account, space_id, link_id)


@router.get("/invite-links/{token}", responses=GONE)  # type: ignore[arg-type]
def look_at_link(token: Token, node: NodeDep) -> dict[str, Any]:
    """Where a link leads and whether it still admits (`state`: live, expired, used_up,
    revoked); 404 `unknown_invite_link` for a link this node never made."""
    membership = node.service(Membership)
    link = membership.link(token)
    space = node.space(link.space)
    inviter = node.accounts.names([link.inviter]).get(link.inviter)
    shown = membership.shown(link)
    return {
        "space": link.space, "space_name": space.name, "inviter": link.inviter,
        "inviter_name": inviter, "state": shown["state"], "expires_at": link.expires_at,
    }  # fmt: skip


@router.post("/invite-links/{token}/join", status_code=201, responses=GONE)  # type: ignore[arg-type]
def follow_link(token: Token, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Join the link's space. 410 `invite_link_expired`, `invite_link_used_up` or
    `invite_link_revoked`; 404 `unknown_invite_link`; 409 `already_a_member`."""
    return node.service(Membership).follow(account, token)


@router.post(SPACE + "/join-requests", status_code=201)
def ask(space_id: str, body: RequestBody, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Ask to join a space whose members admit newcomers, with an optional message for
    them. 409 `already_requested`, `already_a_member`, or `requests_not_used` (an open
    space: join it instead)."""
    event = node.service(Membership).ask(account, space_id, body.message)
    return {"space": space_id, "member": account.did, "status": "requested", "event": event}


@router.get(SPACE + "/join-requests")
def requests(space_id: str, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """`mine`: where your own request stands (requested, member, declined, or null); and
    for members, `requests`: the requests waiting for a decision, oldest first."""
    membership = node.service(Membership)
    state = membership.authority(space_id)
    waiting = membership.requests(space_id) if state.is_member(account.did) else None
    return {"mine": status_of(state, account.did), "requests": waiting}


@router.post(SPACE + "/join-requests/{member}/approve")
def approve(space_id: str, member: str, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Admit a waiting request (or, when your role may not admit but may propose, put it to
    the community: `decision` is `proposed`). 403 `not_allowed_to_approve`; 404
    `no_pending_request`."""
    return node.service(Membership).decide(account, space_id, member, approve=True)


@router.post(SPACE + "/join-requests/{member}/decline")
def decline(space_id: str, member: str, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Decline a waiting request; the person may ask again later."""
    return node.service(Membership).decide(account, space_id, member, approve=False)
