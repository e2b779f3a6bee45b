"""The y-websocket endpoint of live documents: `ws(s)://HOST/ws/docs/{doc}`.

A stock Yjs client connects with `new WebsocketProvider(base + "/ws/docs", doc, ydoc,
{params: {token}})`; the node's own pages send their session cookie instead. The socket is
accepted first, so a refusal reaches the client as a close code and reason it can read
(`collab.live.CLOSE_CODES`).
"""

from __future__ import annotations

from contextlib import suppress
from urllib.parse import urlsplit

from anyio import Lock
from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from p2pvalue.accounts import Account
from p2pvalue.collab.live import CLOSE_CODES, LiveDocuments
from p2pvalue.collab.service import Collab
from p2pvalue.errors import Forbidden, P2PError, Unauthorized
from p2pvalue.node import Node
from p2pvalue.web.auth import COOKIE

router = APIRouter()


class SocketChannel:
    """A Starlette websocket as a pycrdt channel: bytes in, bytes out, closed with a code."""

    def __init__(self, websocket: WebSocket, path: str) -> None:
        self.websocket = websocket
        self._path = path
        # fast_acquire: a lock no one holds is taken without a trip through the event loop;
        # a room broadcast takes it once per recipient of every update.
        self._sending = Lock(fast_acquire=True)

    @property
    def path(self) -> str:
        return self._path

    async def send(self, message: bytes) -> None:
        # A room broadcasts to every client; one that just left must not fail the others.
        with suppress(WebSocketDisconnect, RuntimeError):
            async with self._sending:
                await self.websocket.send_bytes(message)

    async def recv(self) -> bytes:
        """The next binary frame (a text frame reads as empty, which no message is)."""
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise StopAsyncIteration
        return message.get("bytes") or b""

    async def close(self, code: int, reason: str) -> None:
        with suppress(RuntimeError):
            await self.websocket.close(code, reason)


@router.websocket("/ws/docs/{doc}")
async def document_socket(websocket: WebSocket, doc: str) -> None:
    """Edit (or, for readers, follow) a live document over the y-websocket protocol."""
    node: Node = websocket.app.state.node
    live: LiveDocuments = websocket.app.state.documents
    await websocket.accept()
    channel = SocketChannel(websocket, f"/ws/docs/{doc}")
    try:
        account = _account(websocket, node)
        access = await run_in_threadpool(node.service(Collab).access, doc, account.did)
    except P2PError as error:
        await channel.close(CLOSE_CODES.get(error.code, 4400), error.code)
        return
    await live.serve_member(channel, access, account.username)


def _account(websocket: WebSocket, node: Node) -> Account:
    """The member behind a `token` query parameter (a bearer token), or behind the session
    cookie of a page of this node (a cookie from another site's page is refused)."""
    token = websocket.query_params.get("token")
    if token:
        found = node.accounts.authenticate(token, "bearer")
        if found is None:
            raise Unauthorized("bad_token", "the token is unknown or expired")
        return found
    cookie = websocket.cookies.get(COOKIE)
    origin = websocket.headers.get("origin")
    if cookie and origin is not None and urlsplit(origin).netloc != websocket.headers.get("host"):
        raise Forbidden("cross_origin", "a page of another site cannot open your documents")
    found = node.accounts.authenticate(cookie, "cookie") if cookie else None
    if found is None:
        raise Unauthorized("not_authenticated", "log in or pass a token")
    return found
