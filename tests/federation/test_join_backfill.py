"""Two real nodes: one holds a space of a few thousand events, the other starts copying it
and shows it at once, provisionally, while the copy is held back; when the copy ends it
shows its own fold, which equals the holder's.

Between them sits a proxy in this process that holds every page of the log read in order
until the test lets them through, so the copy is still running, for certain, while the
joining node is looked at; it also slips a forged event into the newest page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio import to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.cluster import NodeProcess, wait_for
from federation.seeding import NAME, THREAD_TITLE, Seeded, forged_line, seeded_space, store_raw
from p2pvalue.config import load_config
from p2pvalue.node import Node
from serving import loopback, served

pytestmark = pytest.mark.slow
EVENTS = 3000
HOP_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})


class Gate:
    """Holds the log pages read in order until `opened`; adds `forged` to the newest page."""

    def __init__(self, target: str, forged: bytes) -> None:
        self.target, self.forged = target, forged
        self.opened = threading.Event()
        self.holding = threading.Event()

    def app(self) -> Starlette:
        methods = ["GET", "POST"]
        return Starlette(routes=[Route("/{path:path}", self.forward, methods=methods)])

    async def forward(self, request: Request) -> Response:
        """The request as the joining node signed it (its Host too), sent on to the holder."""
        newest = "before" in request.query_params
        if request.url.path.endswith("/log") and not newest:
            self.holding.set()
            await to_thread.run_sync(self.opened.wait)
        query = f"?{request.url.query}" if request.url.query else ""
        async with httpx.AsyncClient(timeout=60) as client:
            answer = await client.request(
                request.method, f"{self.target}{request.url.path}{query}",
                headers=request.headers.raw, content=await request.body(),
            )  # fmt: skip
        body = self.forged + b"\n" + answer.content if newest else answer.content
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS}
        return Response(body, answer.status_code, headers)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    holder, joiner = NodeProcess(tmp_path, "holder"), NodeProcess(tmp_path, "joiner")
    try:
        yield holder, joiner
    finally:
        joiner.close()
        holder.close()


def _space(node: NodeProcess, space: str) -> dict[str, Any]:
    response = node.http.get(f"/api/v1/spaces/{space}")
    found: dict[str, Any] = response.json() if response.status_code == 200 else {}
    return found


def test_a_joining_node_is_usable_before_its_copy_ends(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    holder, joiner = nodes
    seeded = seeded_space(EVENTS)
    space = seeded.space
    with Node(load_config(holder.data)) as node:
        store_raw(node, seeded)
    holder.start()
    joiner.start()
    gate = Gate(holder.url, forged_line(seeded))
    try:
        with served(gate.app(), loopback()) as proxy:
            joiner.replicate(space, proxy)
            wait_for(gate.holding.is_set, what="the copy to ask for its first page")
            wait_for(lambda: bool(_space(joiner, space).get("sync", {}).get("recent")),
                     what="the provisional view")  # fmt: skip
            _check_provisional(holder, joiner, seeded)
            gate.opened.set()
            wait_for(lambda: "sync" not in _space(joiner, space), 60, "the copy to end")
            assert joiner.state(space) == holder.state(space)
            page = joiner.http.get(f"/spaces/{space}").text
            assert "provisional" not in page and 'id="timeline"' in page
    finally:
        gate.opened.set()
    assert "does not verify (bad_signature): not shown" in joiner.log.read_text()


def _check_provisional(holder: NodeProcess, joiner: NodeProcess, seeded: Seeded) -> None:
    """Nothing of the space folded at the joiner yet, and its name, members and newest
    events already shown, marked provisional."""
    space = seeded.space
    shown = _space(joiner, space)
    sync = shown.pop("sync")
    assert (shown["name"], shown["events"], shown["creator"]) == (NAME, 0, seeded.founder.did)
    assert (sync["state"], sync["held"], sync["total"], sync["provisional"]) == (
        "backfilling", 0, EVENTS, True)  # fmt: skip
    members = holder.http.get(f"/api/v1/spaces/{space}/members").json()["members"]
    assert sync["members"] == [{k: m[k] for k in ("did", "status", "roles")} for m in members]
    assert [r["id"] for r in sync["recent"]] == [e.id for e in reversed(seeded.events[-100:])]
    assert joiner.http.get(f"/api/v1/spaces/{space}/members").status_code == 404  # not folded
    page = joiner.http.get(f"/spaces/{space}").text
    assert f'<h1 id="space-name">{NAME}</h1>' in page
    assert f"syncing 0 of {EVENTS}" in page and "provisional" in page
    assert f"<strong>note {EVENTS - 1}</strong>" in page
    assert f'<h3 class="thread-title">{THREAD_TITLE}</h3>' in page
    assert "FORGED" not in page
