"""The data rights API: a member downloads everything this node holds about them."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from p2pvalue.rights.export import member_archive
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
    archive = member_archive(node, account)
    # A username is [a-z0-9_.-] only, so it needs no quoting in the header.
    headers = {
        "Content-Disposition": f'attachment; filename="p2pvalue-{account.username}.zip"',
        "Cache-Control": "no-store",
    }
    return Response(archive, media_type="application/zip", headers=headers)
