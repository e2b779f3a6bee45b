"""The data rights API: a member downloads everything this node holds about them, and has
their personal data erased."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from p2pvalue.rights.service import Rights
from p2pvalue.web.auth import AccountDep, NodeDep

router = APIRouter(prefix="/api/v1/accounts/me", tags=["accounts"])


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "the archive"}},
)
def export_member(account: AccountDep, node: NodeDep) -> Response:
    """Everything this node holds about you, as one ZIP archive (see docs/rights.md); your
    secret key is not in it."""
    archive = node.service(Rights).archive(account)
    # A username is [a-z0-9_.-] only, so it needs no quoting in the header.
    headers = {
        "Content-Disposition": f'attachment; filename="p2pvalue-{account.username}.zip"',
        "Cache-Control": "no-store",
    }
    return Response(archive, media_type="application/zip", headers=headers)


class Confirmation(BaseModel):
    password: str = Field(max_length=1024)


@router.post("/erase")
async def erase(body: Confirmation, account: AccountDep, node: NodeDep) -> dict[str, Any]:
    """Erase your profile and the content of your posts and thread posts in every space
    here, after your password again (see docs/rights.md); `{profile_fields, events}`."""
    await run_in_threadpool(node.accounts.check_password, account.username, body.password)
    found: dict[str, Any] = await run_in_threadpool(node.service(Rights).erase_member, account)
    return found
