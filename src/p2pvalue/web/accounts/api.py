"""A member's own account through the API: the password, the sessions and tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from p2pvalue.web.auth import AccountDep, NodeDep, current_token

router = APIRouter(prefix="/api/v1/accounts/me", tags=["accounts"])
SESSION_ID = r"^[0-9a-f]{16}$"


class PasswordChange(BaseModel):
    current: str = Field(max_length=1024)
    new: str = Field(max_length=1024)


@router.post("/password", responses={401: {}, 422: {}, 429: {"description": "the name is locked"}})
async def change_password(
    body: PasswordChange, request: Request, account: AccountDep, node: NodeDep
) -> dict[str, Any]:
    """Change your password (giving the current one again). Every other session and token
    of yours is revoked; the token of this request stays valid. `revoked`: how many were."""
    revoked = await run_in_threadpool(
        node.accounts.change_password, account, body.current, body.new, current_token(request)
    )
    return {"revoked": revoked}


@router.get("/sessions")
def list_sessions(request: Request, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Your live sessions (`cookie`: a browser's) and API tokens (`bearer`), newest first;
    `current` marks the one this request uses."""
    return {"sessions": node.accounts.sessions_of(account, current_token(request))}


@router.delete("/sessions/{session_id}", status_code=204, responses={404: {}})
def revoke_session(
    account: AccountDep, node: NodeDep,
    session_id: str = Path(pattern=SESSION_ID, description="an `id` from GET /sessions"),
) -> Response:  # fmt: skip
    """Revoke one of your sessions or tokens (this request's own too, if named)."""
    node.accounts.revoke_session(account, session_id)
    return Response(status_code=204)


@router.post("/logout-everywhere")
def logout_everywhere(account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Revoke every session and token of yours, this request's included."""
    return {"revoked": node.accounts.revoke_sessions(account)}
