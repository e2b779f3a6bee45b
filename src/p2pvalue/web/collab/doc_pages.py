"""Pages for a space's live documents: the list with a form to start one, and a document's
page with the in-page editor (the bundle in `web/static/editor.js`, bound to the document
over the y-websocket endpoint), its measured authorship and its signed snapshots."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from p2pvalue.collab.live import LiveDocuments
from p2pvalue.collab.service import COLLAB_REFUSALS, Collab
from p2pvalue.errors import P2PError
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.collab.board_view import collab_context
from p2pvalue.web.layout import (
    acted,
    back_with,
    flash_of,
    missing,
    problem_of,
    render,
    space_authority,
)

router = APIRouter(include_in_schema=False)
DOCS = "/spaces/{space_id}/docs"
COLOURS = ("#1f6f4a", "#30bced", "#6eeb83", "#ee6352", "#9b5de5", "#f4a261", "#00a6a6")


class DocForm(BaseModel):
    title: str = Field(default="", max_length=200)
    project: str = Field(default="", max_length=43)


@router.get(DOCS)
def documents_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """The space's documents, with the form to start one."""
    authority = space_authority(node, space_id)
    if authority is None:
        return missing(request, account, f"no space {space_id!r} on this node")
    shared = collab_context(node, authority, account)
    documents = list(shared["state"].documents.by_id.values())
    return render(request, "collab_docs.html", account, documents=documents, **shared)


@router.post(DOCS)
def create_document(
    space_id: str, node: NodeDep, account: AccountDep, form: Annotated[DocForm, Form()]
) -> Response:
    back = DOCS.format(space_id=space_id)
    content = {"title": form.title, **({"project": form.project} if form.project else {})}
    return acted(lambda: node.act(account, space_id, "doc.create", content), back,
                 COLLAB_REFUSALS, lambda made: f"{back}/{made}")  # fmt: skip


@router.get(DOCS + "/{doc_id}")
async def document_page(
    request: Request, space_id: str, doc_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """A document: the editor (read-only for readers), who wrote how much, its snapshots.
    Only members of the space see it."""
    authority = await run_in_threadpool(space_authority, node, space_id)
    if authority is None:
        return missing(request, account, f"no space {space_id!r} on this node")
    shared = await run_in_threadpool(collab_context, node, authority, account)
    document = shared["state"].documents.by_id.get(doc_id)
    if document is None:
        return missing(request, account, f"no document {doc_id!r} in this space")
    if account is None or not shared["is_member"]:
        return render(request, "collab_doc.html", account, 403, document=document,
                      error="only members of the space see its documents", **shared)  # fmt: skip
    access = await run_in_threadpool(node.service(Collab).access, doc_id, account.did)
    live: LiveDocuments = request.app.state.documents
    text, measure = await live.read(doc_id, space_id)
    colour = COLOURS[sum(account.did.encode()) % len(COLOURS)]
    return render(
        request, "collab_doc.html", account, document=document, writable=access.writes,
        measure=measure, colour=colour, chars=len(text), **shared,
    )  # fmt: skip


@router.post(DOCS + "/{doc_id}/snapshots")
async def snapshot_document(
    request: Request, space_id: str, doc_id: str, node: NodeDep, account: AccountDep
) -> Response:
    """Sign a snapshot of the document as it is now; back to its page, with any refusal."""
    back = f"{DOCS.format(space_id=space_id)}/{doc_id}"
    live: LiveDocuments = request.app.state.documents
    try:
        await run_in_threadpool(node.service(Collab).access, doc_id, account.did)
        outcome = await live.snapshot(account, doc_id, space_id)
    except P2PError as error:
        return back_with(back, flash_of(error.code, error.message, COLLAB_REFUSALS))
    return back_with(back, problem_of(outcome, COLLAB_REFUSALS))
