"""The direct message API: a recipient's messaging key, sending a sealed message, reading
and removing your own. The node handles ciphertext only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from p2pvalue.social import Social
from p2pvalue.social.messages import MAX_PAGE
from p2pvalue.web.auth import AccountDep, NodeDep

router = APIRouter(prefix="/api/v1", tags=["messages"])


class SealedMessage(BaseModel):
    to: str = Field(max_length=100, description="the recipient's did:key")
    ciphertext: str = Field(description="a sealed box to the recipient's messaging key, base64url")
    signature: str = Field(max_length=200, description="the sender's Ed25519 signature of it")
    sender_copy: str | None = Field(
        None, description="the same message sealed to your own messaging key, so you can read "
        "what you sent; it stays on this node",
    )  # fmt: skip


@router.get("/members/{did}/messaging-key")
def messaging_key(did: str, node: NodeDep) -> dict[str, Any]:
    """The X25519 public key to seal a message to `did` with (base64url)."""
    return {"did": did, "type": "X25519", "key": node.service(Social).messages.messaging_key(did)}


@router.post("/messages", status_code=201)
def send_message(body: SealedMessage, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Send a sealed message; the signature must be yours, over the ciphertext's bytes."""
    messages = node.service(Social).messages
    return messages.send(account, body.to, body.ciphertext, body.signature, body.sender_copy)


@router.get("/me/messages")
def my_messages(
    account: AccountDep,
    node: NodeDep,
    with_: str | None = Query(None, alias="with", max_length=100, description="only with them"),
    before: str | None = Query(
        None,
        max_length=40,
        description="a page's `next` cursor",
        json_schema_extra={"pattern": r"^[0-9]{1,18}$"},
    ),
    limit: int = Query(50, ge=1, le=MAX_PAGE),
) -> dict[str, Any]:
    """Messages you sent or received, newest first; pass `next` as `before` for older ones."""
    page = node.service(Social).messages.page(account.did, with_, before, limit)
    return {"messages": page.messages, "next": page.next}


@router.delete("/me/messages/{message_id}")
def remove_message(message_id: str, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Remove a message from your view; it is erased once the other side removed it too."""
    erased = node.service(Social).messages.remove(account, message_id)
    return {"id": message_id, "removed": True, "erased": erased}
