"""An ASGI app served by uvicorn on a loopback port in a thread, for tests that need a real
HTTP (or websocket) server: the pages in a browser, signed requests, the fediverse."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

STARTUP_SECONDS = 10
STOP_SECONDS = 60


def loopback() -> socket.socket:
    """A socket bound to a free loopback port, for a server to listen on."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    return listener


def url_of(listener: socket.socket) -> str:
    return f"http://127.0.0.1:{listener.getsockname()[1]}"


@contextmanager
def served(app: ASGIApp, listener: socket.socket, **options: Any) -> Iterator[str]:
    """`app` served by uvicorn on `listener` in a thread, until the block ends; its URL.
    `options` are uvicorn's (e.g. `ws`)."""
    settings = {"log_config": None, "access_log": False, "lifespan": "on", **options}
    server = uvicorn.Server(uvicorn.Config(app, **settings))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError(f"uvicorn did not start on {url_of(listener)}")
        time.sleep(0.01)
    try:
        yield url_of(listener)
    finally:
        server.should_exit = True
        # Wait for the app's shutdown to end: a node closed under a server still shutting
        # down would drop the database connections the server's threads hold.
        thread.join(STOP_SECONDS)
        listener.close()
        if thread.is_alive():
            raise AssertionError(f"uvicorn did not stop within {STOP_SECONDS} s")
