"""A peer that answers anti-entropy with malformed data: its answer is refused with a
precise reason, and the node goes on to its other peers (it used to stop with a KeyError)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from p2pvalue.errors import P2PError
from p2pvalue.federation import worker
from p2pvalue.federation.replication import Replication
from p2pvalue.federation.worker import Replicator, heads_of, last_position
from p2pvalue.node import Node
from web.client import PASSWORD

MALFORMED_HEADS = [
    b'{"space": "x", "events": 3}',  # no heads at all
    b'{"heads": 5}',
    b'{"heads": [1, 2]}',
    b'{"heads": ["not an id"]}',
    b"[1, 2, 3]",
    b"not json",
    b'{"heads": "' + b"A" * 43 + b'"}',
]


class Peers(httpx.AsyncBaseTransport):
    """Routes each request to the app serving its host, and remembers what was asked."""

    def __init__(self, apps: dict[str, Any]) -> None:
        self.apps = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}
        self.asked: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(f"{request.url.host}{request.url.path}")
        return await self.apps[request.url.host].handle_async_request(request)


def peer_answering(body: bytes) -> Starlette:
    async def heads(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/federation/v1/spaces/{space}/heads", heads)])


@pytest.mark.parametrize("answer", MALFORMED_HEADS)
def test_malformed_heads_are_refused_and_the_other_peers_still_asked(
    sqlite_node: Node, answer: bytes
) -> None:
    alice = sqlite_node.accounts.register("alice", PASSWORD)
    space = sqlite_node.create_space(alice, "Commons").id
    assert space is not None
    sqlite_node.service(Replication).add_peer(space, "http://a-liar.test")
    sqlite_node.service(Replication).add_peer(space, "http://b-honest.test")
    honest = peer_answering(b'{"space": "%s", "heads": [], "events": 0}' % space.encode())
    peers = Peers({"a-liar.test": peer_answering(answer), "b-honest.test": honest})

    async def scenario() -> int:
        replicator = Replicator(sqlite_node.wiring, sync_every=3600, transport=peers)
        try:
            return await replicator.anti_entropy()
        finally:
            await replicator.close()

    assert asyncio.run(scenario()) == 0
    assert f"b-honest.test/federation/v1/spaces/{space}/heads" in peers.asked
    with pytest.raises(P2PError) as refused:
        heads_of(answer)
    assert (refused.value.code, refused.value.status) == ("bad_peer_answer", 502)


def test_a_log_page_without_its_position_is_refused_precisely() -> None:
    for headers in ({}, {"P2P-Last-Position": "soon"}, {"P2P-Last-Position": "9" * 40}):
        with pytest.raises(P2PError) as refused:
            last_position(httpx.Headers(headers))
        assert refused.value.code == "bad_peer_answer"
    assert last_position(httpx.Headers({"P2P-Last-Position": "-1"})) == -1
    assert worker.heads_of(b'{"heads": ["' + b"A" * 43 + b'"]}') == ["A" * 43]
