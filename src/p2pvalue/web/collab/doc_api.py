"""Live documents in the API: create and list them, read one (members only), and append a
signed snapshot of its state and authorship on demand. Editing goes over the y-websocket
endpoint (`web.doc_socket`), whose path each document names as `socket`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from p2pvalue.collab.documents import Document
from p2pvalue.collab.live import LiveDocuments
from p2pvalue.collab.service import Collab, DocAccess, refusal
from p2pvalue.collab.types import DocCreate
from p2pvalue.node import Node
from p2pvalue.web.auth import AccountDep, NodeDep
from p2pvalue.web.spaces.api import outcome_response

router = APIRouter(prefix="/api/v1/spaces/{space_id}/docs", tags=["documents"])


def socket_path(doc: str) -> str:
    return f"/ws/docs/{doc}"


def document_json(document: Document) -> dict[str, Any]:
    latest = document.latest
    return {
        "id": document.id, "title": document.title, "project": document.project,
        "creator": document.creator, "ts": document.ts, "socket": socket_path(document.id),
        "snapshots": len(document.snapshots),
        "latest_snapshot": None if latest is None else asdict(latest),
    }  # fmt: skip


@router.get("")
def list_documents(space_id: str, node: NodeDep) -> dict[str, Any]:
    """The space's documents in the order they were created, each with its latest snapshot."""
    documents = node.service(Collab).state(space_id).documents.by_id.values()
    return {"documents": [document_json(document) for document in documents]}


@router.post("", status_code=201)
def create_document(
    space_id: str, body: DocCreate, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Start a document (in a project, or in the space at large); its id is the event's."""
    content = body.model_dump(exclude_none=True)
    return outcome_response(node.act(account, space_id, "doc.create", content))


@router.get("/{doc_id}")
async def get_document(
    space_id: str, doc_id: str, request: Request, account: AccountDep, node: NodeDep
) -> dict[str, Any]:
    """A document for a member: its text, its live measure (state hash, size, each author's
    share), whether you may edit it, and every signed snapshot."""
    access = await _access(node, space_id, doc_id, account.did)
    text, measure = await _live(request).read(doc_id, space_id)
    return {
        **document_json(access.document),
        "text": text,
        "writable": access.writes,
        "measure": {**asdict(measure), "authors": dict(measure.authors)},
        "snapshot_list": [asdict(snapshot) for snapshot in access.document.snapshots],
    }


@router.post("/{doc_id}/snapshots", status_code=201)
async def snapshot_document(
    space_id: str, doc_id: str, request: Request, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Sign and append a `doc.snapshot` of the document as it is now (409 if unchanged
    since the last one)."""
    await _access(node, space_id, doc_id, account.did)
    return outcome_response(await _live(request).snapshot(account, doc_id, space_id))


async def _access(node: Node, space: str, doc: str, did: str) -> DocAccess:
    access: DocAccess = await run_in_threadpool(node.service(Collab).access, doc, did)
    if access.document.space != space:
        raise refusal("unknown_document")
    return access


def _live(request: Request) -> LiveDocuments:
    live: LiveDocuments = request.app.state.documents
    return live
