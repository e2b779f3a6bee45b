"""The ASGI application of a node."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from importlib import import_module
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from p2pvalue import __version__
from p2pvalue.collab.live import SNAPSHOT_EVERY, LiveDocuments
from p2pvalue.collab.relay import DocRelay
from p2pvalue.domain import Domain
from p2pvalue.errors import P2PError
from p2pvalue.federation.message_courier import MessageCourier
from p2pvalue.federation.worker import Replicator
from p2pvalue.fediverse import Fediverse
from p2pvalue.fediverse.delivery import Deliverer
from p2pvalue.mail import Mailer
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.social.mail_courier import MailCourier
from p2pvalue.web import i18n, layout, metrics, paging
from p2pvalue.web.accounts import api as account_api
from p2pvalue.web.accounts import pages as account_pages
from p2pvalue.web.activity import Phrasebook
from p2pvalue.web.auth import optional_account
from p2pvalue.web.contract import publish_contract
from p2pvalue.web.headers import SecurityHeaders
from p2pvalue.web.leadership import Leadership, lock_key
from p2pvalue.web.limits import RateLimited, rate_limits
from p2pvalue.web.private_guard import private_spaces
from p2pvalue.web.relay import CommitRelay
from p2pvalue.web.spaces import api, pages
from p2pvalue.web.text_guard import TextGuard

MAX_REQUEST_BYTES = 1024 * 1024
# Where clients are programs (the API, other nodes, the fediverse): answered in JSON.
MACHINE_PATHS = ("/api/", "/federation/", "/ap/", "/.well-known/")
DEADLINES_EVERY = 60.0
SYNC_EVERY = 30.0
STATIC = Path(__file__).parent / "static"
# How uvicorn serves the app (`p2pvalue serve`, and the benchmarks): the sans-I/O websockets
# protocol; frames above the live documents' own limit refused by uvicorn (the documents
# refuse smaller oversized ones with their precise reason); no per-message compression,
# which would deflate each small Yjs update once per recipient of a broadcast.
SERVER_SETTINGS: dict[str, Any] = {
    "ws": "websockets-sansio",
    "ws_max_size": 4 * 1024 * 1024,
    "ws_per_message_deflate": False,
}
LOG = logging.getLogger(__name__)


def run_server(app: FastAPI, host: str, port: int, log_level: str = "info", **options: Any) -> None:
    """Serve `app` as `p2pvalue serve` does (and the benchmarks). What is alive at startup
    (the modules and the node's services, ~190,000 objects) is first moved out of the
    garbage collector's reach: otherwise each full collection walks it all and stalls the
    server for 100-300 ms, which every client of a live document feels at once (measured
    with bench/docs.py: p99 327 ms before, 21 ms after)."""
    import uvicorn

    gc.collect()
    gc.freeze()
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, _stop)
    uvicorn.run(app, host=host, port=port, log_level=log_level, **SERVER_SETTINGS, **options)


def _stop(number: int, frame: object) -> None:
    """uvicorn shuts down gracefully on SIGTERM and Ctrl-C, then raises the signal again for
    the handler it found: left to the defaults, SIGTERM would kill the process before the
    caller's node is closed, and SIGINT end it in a traceback. This one leaves through
    every `with` and exits 0."""
    raise SystemExit(0)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def create_app(
    node: Node, deadlines_every: float = DEADLINES_EVERY, snapshot_every: float = SNAPSHOT_EVERY,
    sync_every: float = SYNC_EVERY,
) -> FastAPI:  # fmt: skip
    """The node's web application: API, pages, live documents, health check and OpenAPI
    document; while it runs, the node keeps its own deadlines (closing claims whose review
    window passed, revealing sealed ballots and closing proposals whose window ended) and
    snapshots the live documents that changed, replicates its spaces with other nodes
    (delivering the outbox, anti-entropy every `sync_every` seconds), and mails members
    their notifications when the configuration names an SMTP server."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        documents = LiveDocuments(
            node.wiring, snapshot_every=snapshot_every, relay=_doc_relay(node)
        )
        replicator = app.state.replicator = Replicator(node.wiring, sync_every=sync_every)
        background = Background(node, replicator, deadlines_every)
        leadership = app.state.leadership = Leadership(node.engine, key=lock_key(node.did))
        async with documents:
            app.state.documents = documents
            relay = _relay(node, documents)
            if relay is not None:
                await run_in_threadpool(relay.start)
            snapshots = asyncio.create_task(documents.keep_snapshots())
            leading = asyncio.create_task(leadership.run(background.run))
            try:
                yield
            finally:
                # Let work in progress finish: a thread of it may hold a database connection.
                await documents.drained()
                await _cancelled(snapshots, leading)
                await background.close()
                if relay is not None:
                    await run_in_threadpool(relay.close)

    app = FastAPI(
        title="p2pvalue node", version=__version__, openapi_url="/openapi.json",
        lifespan=lifespan, dependencies=[Depends(rate_limits), Depends(private_spaces)],
    )  # fmt: skip
    app.state.node = node
    app.state.fediverse = node.service(Fediverse)
    app.state.phrasebook = Phrasebook.of(node.registry.domains)
    for router in routers(node.registry.domains):
        app.include_router(router)
    app.include_router(i18n.router)
    app.include_router(metrics.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(P2PError, _p2p_error)  # type: ignore[arg-type]
    app.add_exception_handler(RateLimited, _rate_limited)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(paging.NoPage, paging.no_page)  # type: ignore[arg-type]
    publish_contract(app)

    @app.get("/healthz", tags=["node"])
    def healthz() -> dict[str, Any]:
        """Liveness and identity of this node."""
        leadership = getattr(app.state, "leadership", None)
        leads = leadership is not None and leadership.leading
        return {"status": "ok", "node": node.did, "version": __version__,
                "worker": os.getpid(), "leads": leads}  # fmt: skip

    app.add_middleware(i18n.Language)
    app.add_middleware(metrics.RequestMetrics)
    app.add_middleware(TextGuard)
    app.add_middleware(BodyLimit)
    public_url = node.config.public_url or ""
    app.add_middleware(SecurityHeaders, secure_cookies=public_url.startswith("https://"))
    return app


def _doc_relay(node: Node) -> DocRelay | None:
    """With Redis configured, how live documents are shared with the node's other workers."""
    if node.config.redis_url is None:
        return None
    return DocRelay(node.config.redis_url, f"p2pvalue:{node.did}:doc:")


def _relay(node: Node, documents: LiveDocuments) -> CommitRelay | None:
    """With Redis configured, what tells this worker's open streams and document sockets
    of the events the node's other workers commit."""
    if node.config.redis_url is None:
        return None
    hearers = [node.service(Social).committed, documents.committed]
    return CommitRelay(node, node.config.redis_url, hearers)


def _mail_courier(node: Node) -> MailCourier | None:
    """What mails notifications, when the node's configuration names an SMTP server."""
    if node.config.mail is None:
        return None
    return MailCourier(node.wiring, node.service(Social).mailing, Mailer(node.config.mail))


async def _cancelled(*tasks: asyncio.Task[Any]) -> None:
    """Cancel tasks and wait until they are done (a thread they wait on finishes first)."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError):
            await task


class Background:
    """The node's background loops, run by the one worker that leads (`Leadership`): the
    deadline keeper, replication with other nodes, fediverse delivery, messages to other
    nodes and, when the configuration names an SMTP server, notification mail."""

    def __init__(self, node: Node, replicator: Replicator, deadlines_every: float) -> None:
        self._node = node
        self._deadlines_every = deadlines_every
        self._replicator = replicator
        self._deliverer = Deliverer(node.service(Fediverse))
        self._courier = MessageCourier(node.wiring)
        self._mail = _mail_courier(node)

    async def run(self) -> None:
        """Run every loop until cancelled; a sweep in progress then ends at its next claim."""
        stop, halt = asyncio.Event(), threading.Event()
        keeper = asyncio.create_task(_keep_deadlines(self._node, self._deadlines_every, stop, halt))
        loops = [asyncio.create_task(self._replicator.run()),
                 asyncio.create_task(self._deliverer.run()),
                 asyncio.create_task(self._courier.run())]  # fmt: skip
        if self._mail is not None:
            loops.append(asyncio.create_task(self._mail.run()))
        try:
            await asyncio.gather(*loops)
        finally:
            halt.set()
            await _cancelled(*loops)
            stop.set()
            with suppress(asyncio.CancelledError):
                await asyncio.shield(keeper)

    async def close(self) -> None:
        await self._replicator.close()
        await self._deliverer.close()
        await self._courier.close()


async def _keep_deadlines(
    node: Node, every: float, stop: asyncio.Event, halt: threading.Event
) -> None:
    while not stop.is_set():
        try:
            done = await run_in_threadpool(node.sweep, halt)
            for domain, count in done.items():
                if count:
                    LOG.info("%s: %d event(s) emitted by its sweep", domain, count)
        except Exception:
            LOG.exception("keeping deadlines failed; trying again later")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def _p2p_error(request: Request, exc: P2PError) -> Response:
    """The refusal as JSON; on a page, something missing (or not the viewer's to see, such
    as a private space) is the page that says so."""
    if exc.status == 404 and not request.url.path.startswith(MACHINE_PATHS):
        account = await run_in_threadpool(optional_account, request)
        return layout.render(request, "missing.html", account, 404)
    headers = getattr(exc, "headers", None)  # e.g. Retry-After with a 429
    return JSONResponse(error_body(exc.code, exc.message), exc.status, headers)


async def _rate_limited(request: Request, exc: RateLimited) -> Response:
    """429 with `Retry-After`: JSON for the API and other nodes, a sentence for a page."""
    headers = {"Retry-After": str(exc.retry_after)}
    if request.url.path.startswith(MACHINE_PATHS):
        return JSONResponse(error_body(exc.code, exc.message), exc.status, headers)
    return layout.slow_down(request, exc.message, exc.retry_after, headers)


HTTP_CODES = {400: "malformed_json", 404: "not_found", 405: "method_not_allowed"}


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse(error_body("malformed_json", "the body is not valid JSON"), 400)
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return JSONResponse(error_body("invalid_request", f"{where}: {first.get('msg')}"), 422)


class BodyLimit:
    """Refuse request bodies over MAX_REQUEST_BYTES with 413 before the app sees them.

    A declared Content-Length is checked at once (the server holds the client to it); a
    body sent without one is read here, up to the limit, and then replayed to the app.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > MAX_REQUEST_BYTES:
                await _too_large(send)
                return
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            seen += len(message.get("body", b""))
            if seen > MAX_REQUEST_BYTES:
                await _too_large(send)
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send) -> None:
    response = JSONResponse(error_body("request_too_large", "request body over 1 MiB"), 413)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(k, v) for k, v in response.raw_headers],
        }
    )
    await send({"type": "http.response.body", "body": response.body})


def routers(domains: Sequence[Domain[Any]]) -> list[APIRouter]:
    """Every route of the node: the shared ones (spaces, accounts), then each registered
    domain's API and then its pages, in the order of the registry, so that an API route
    is never shadowed by a page."""
    found = [api.router, account_api.router]
    found += [_router(path) for domain in domains for path in domain.api]
    found += [pages.router, account_pages.router]
    found += [_router(path) for domain in domains for path in domain.pages]
    return found


def _router(path: str) -> APIRouter:
    """The router a domain names: "module" (its `router`) or "module:attribute"."""
    module, _, attribute = path.partition(":")
    found = getattr(import_module(module), attribute or "router")
    if not isinstance(found, APIRouter):
        raise TypeError(f"{path} is not a router")
    return found
