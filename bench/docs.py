"""Propagation latency of a live document: 50 concurrent y-websocket clients editing one
document on a local node, from the moment a client sends an update until each other client
has received it. Goal: p99 under 100 ms.

The node runs as a real server in its own process (uvicorn with the settings `p2pvalue
serve` uses: `web.app.SERVER_SETTINGS`; SQLite in a temporary data folder); the bench signs
up a few members over the API, who share the clients (each client is its own Yjs client
id), and creates a fresh document each round.
Every frame a client sends goes through the node's `Guard` (access, limits, authorship) and
every update is persisted.

The baseline, in the same run and on the same workload, is pycrdt-websocket's stock server
(`WebsocketServer` behind `ASGIServer`, the same uvicorn settings) in a process of its own: no
access control, no persistence. The two alternate round by round (the machine is shared
and noisy); each figure is the median over the rounds (`p99_rounds_ms` lists them), and
`ratio_p99` = node p99 / stock p99 (`ratio_p50` likewise).

The workload: each client types one short insert every `--interval` seconds, the clients
staggered evenly over the interval, for `--seconds`. Each client builds its inserts on a
Yjs document of its own before the round (valid updates that never depend on another
client's), so no client-side CRDT work is timed; a received update is recognised by the
unique marker its text carries. The clients are `websockets` connections in this process,
with its defaults (they offer permessage-deflate, as browsers do; the servers decline it).
One latency sample per (update, receiver other than its sender), timed on one clock; an
update that has not arrived `DRAIN_SECONDS` after the last send counts as `missing`, with
the time waited as its (lower-bound) latency. `updates_per_s` is updates delivered per
second: the updates over the time from the first send to the last delivery. Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from pycrdt import (
    Doc,
    Text,
    TransactionEvent,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)
from websockets.asyncio.client import ClientConnection, connect

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password"
MEMBERS = 5  # accounts sharing the clients
MARK = re.compile(rb"~\d+\.\d+~")
UPDATE = b"\x00\x02"  # y-websocket: sync message, update
STEP2 = b"\x00\x01"
STEP1 = b"\x00\x00"
JOIN_TIMEOUT = 30.0
DRAIN_SECONDS = 5.0  # how long to wait, after the last send, for every update to arrive

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


# --- the servers, each run in its own process -----------------------------------------------


def serve(kind: str, port: int, data: str = "") -> None:
    """Run the node (`kind` "node", from the data folder `data`) or pycrdt-websocket's stock
    server ("stock") on `port` until terminated."""
    import uvicorn

    from p2pvalue.web.app import SERVER_SETTINGS

    # Both servers run with the settings `p2pvalue serve` uses.
    settings: dict[str, Any] = {"host": HOST, "port": port, "log_level": "warning",
                                **SERVER_SETTINGS}  # fmt: skip
    if kind == "stock":
        uvicorn.run(stock_app(), **settings)
        return
    from p2pvalue.config import load_config
    from p2pvalue.node import Node
    from p2pvalue.web.app import create_app

    with Node(load_config(Path(data))) as node:
        uvicorn.run(create_app(node), **settings)


def stock_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """pycrdt-websocket's `ASGIServer` over a `WebsocketServer` with its defaults (a room per
    path, nothing stored, no checks), started by the ASGI lifespan; `/healthz` answers."""
    from pycrdt.websocket import ASGIServer, WebsocketServer

    def logged(exception: Exception, log: logging.Logger) -> bool:
        log.error("stock server", exc_info=exception)
        return True

    server = WebsocketServer(exception_handler=logged)
    sockets = ASGIServer(server)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            async with server:
                await receive()
                await send({"type": "lifespan.startup.complete"})
                await receive()
            await send({"type": "lifespan.shutdown.complete"})
        elif scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b'{"status":"ok"}'})
        else:
            await sockets(scope, receive, send)

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(kind: str, port: int, folder: Path, data: str = "") -> subprocess.Popen[bytes]:
    """The server in a process of its own, its output in `folder`/`kind`.log."""
    code = f"from bench.docs import serve; serve({kind!r}, {port}, {data!r})"
    with (folder / f"{kind}.log").open("wb") as log:
        return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip


def wait_healthy(process: subprocess.Popen[bytes], port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server on port {port} did not come up")
        time.sleep(0.1)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the node's members and documents, over the API -----------------------------------------


@dataclass
class Community:
    http: httpx.Client
    tokens: list[str]
    space: str

    def new_document(self, title: str) -> str:
        created = self.http.post(f"/api/v1/spaces/{self.space}/docs", json={"title": title},
                                 headers=_bearer(self.tokens[0]))  # fmt: skip
        assert created.status_code == 201, created.text
        doc: str = created.json()["id"]
        return doc


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def community(http: httpx.Client, members: int) -> Community:
    """`members` accounts in one space (the first founded it, the others joined)."""
    tokens = []
    for index in range(members):
        credentials = {"username": f"bench{index}", "password": PASSWORD}
        created = http.post("/api/v1/accounts", json=credentials)
        assert created.status_code == 201, created.text
        session = http.post("/api/v1/sessions", json=credentials)
        assert session.status_code == 201, session.text
        tokens.append(session.json()["token"])
    space = http.post("/api/v1/spaces", json={"name": "Bench"}, headers=_bearer(tokens[0]))
    assert space.status_code == 201, space.text
    space_id: str = space.json()["id"]
    for token in tokens[1:]:
        joined = http.post(f"/api/v1/spaces/{space_id}/actions", headers=_bearer(token),
                           json={"type": "member.join", "content": {}})  # fmt: skip
        assert joined.status_code == 201, joined.text
    return Community(http, tokens, space_id)


# --- the clients ----------------------------------------------------------------------------


@dataclass
class Client:
    index: int
    url: str
    updates: list[tuple[bytes, bytes]]  # (marker, y-websocket message) to send, in order
    sent: dict[bytes, float] = field(default_factory=dict)
    arrivals: list[tuple[bytes, float]] = field(default_factory=list)
    connection: ClientConnection | None = None


def typed_updates(index: int, count: int) -> list[tuple[bytes, bytes]]:
    """`count` short inserts typed on a document of the client's own, each as the update
    message that carries it and the marker that identifies it."""
    doc: Doc[Any] = Doc()
    text = doc.get("content", type=Text)
    updates: list[bytes] = []

    def record(event: TransactionEvent) -> None:
        updates.append(event.update)

    doc.observe(record)
    marks = [f"~{index}.{seq}~".encode() for seq in range(count)]
    for mark in marks:
        text.insert(0, mark.decode() + " ")
    assert len(updates) == count
    return [
        (mark, create_update_message(update)) for mark, update in zip(marks, updates, strict=True)
    ]


async def join(client: Client) -> None:
    """Connect and sync as a Yjs client does: answer the server's step 1 (awareness may come
    first), send our own, and wait for its step 2."""
    connection = await connect(client.url, open_timeout=30, max_size=None)
    client.connection = connection
    doc: Doc[Any] = Doc()
    reply = handle_sync_message((await _next(connection, STEP1))[1:], doc)
    assert reply is not None
    await connection.send(reply)
    await connection.send(create_sync_message(doc))
    await _next(connection, STEP2)


async def _next(connection: ClientConnection, kind: bytes) -> bytes:
    """The next sync message of `kind` (others are skipped); TimeoutError after a while."""
    async with asyncio.timeout(JOIN_TIMEOUT):
        while True:
            message = await connection.recv()
            if isinstance(message, bytes) and message[:2] == kind:
                return message


async def listen(client: Client) -> None:
    assert client.connection is not None
    arrivals = client.arrivals
    async for message in client.connection:
        if isinstance(message, bytes) and message[:2] == UPDATE:
            now = time.perf_counter()
            for mark in MARK.findall(message):
                arrivals.append((mark, now))


async def type_along(client: Client, start: float, offset: float, interval: float) -> None:
    """Send the client's updates on its schedule: `start + offset + k * interval`."""
    assert client.connection is not None
    for seq, (mark, message) in enumerate(client.updates):
        delay = start + offset + seq * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        client.sent[mark] = time.perf_counter()
        await client.connection.send(message)


async def run_round(urls: list[str], seconds: float, interval: float) -> dict[str, Any]:
    """One round on one server: connect every client, type, collect the latencies."""
    count = max(1, round(seconds / interval))
    clients = [Client(i, url, typed_updates(i, count)) for i, url in enumerate(urls)]
    # The first client opens the room alone: the stock server starts a room that clients
    # reach at once more than once, and those wait forever (`WebsocketServer.start_room`).
    await join(clients[0])
    await asyncio.gather(*(join(client) for client in clients[1:]))
    listeners = [asyncio.create_task(listen(client)) for client in clients]
    try:
        start = time.perf_counter() + 0.5
        step = interval / len(clients)
        await asyncio.gather(
            *(type_along(c, start, i * step, interval) for i, c in enumerate(clients))
        )
        # Drain: every update reaches every client, its sender included.
        expected = len(clients) * count * len(clients)
        deadline = time.perf_counter() + DRAIN_SECONDS
        while sum(len(c.arrivals) for c in clients) < expected:
            if time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.02)
        gave_up = time.perf_counter()
    finally:
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        await asyncio.gather(
            *(c.connection.close() for c in clients if c.connection is not None),
            return_exceptions=True,
        )
    return figures(clients, gave_up)


def figures(clients: list[Client], gave_up: float) -> dict[str, Any]:
    """The latency samples of a round, in ms; an update a client never received counts as
    taking until the bench stopped waiting (a lower bound), and is counted as missing."""
    sent = {mark: (client.index, at) for client in clients for mark, at in client.sent.items()}
    samples, missing, last = [], 0, 0.0
    for receiver in clients:
        received = dict(reversed(receiver.arrivals))  # the first arrival of each
        for mark, (sender, began) in sent.items():
            if sender == receiver.index:
                continue
            at = received.get(mark)
            if at is None:
                missing += 1
                at = gave_up
            samples.append((at - began) * 1000)
            last = max(last, at)
    first = min(began for _, began in sent.values())
    return {
        "updates": len(sent),
        "samples": len(samples),
        "missing": missing,
        "p50_ms": statistics.median(samples),
        "p99_ms": percentile(samples, 0.99),
        "max_ms": max(samples),
        "updates_per_s": len(sent) / (last - first),
    }


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the rounds of each round's figures; totals of the counts."""
    return {
        "updates": sum(r["updates"] for r in rounds),
        "samples": sum(r["samples"] for r in rounds),
        "missing": sum(r["missing"] for r in rounds),
        "updates_per_s": round(statistics.median(r["updates_per_s"] for r in rounds), 1),
        "p50_ms": round(statistics.median(r["p50_ms"] for r in rounds), 2),
        "p99_ms": round(statistics.median(r["p99_ms"] for r in rounds), 2),
        "max_ms": round(max(r["max_ms"] for r in rounds), 2),
        "p99_rounds_ms": [round(r["p99_ms"], 2) for r in rounds],
    }


# --- the run --------------------------------------------------------------------------------


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    from p2pvalue.config import init_data_dir

    init_data_dir(folder / "node")
    node_port, stock_port = free_port(), free_port()
    processes = []
    try:
        processes.append(node := start_server("node", node_port, folder, str(folder / "node")))
        processes.append(stock := start_server("stock", stock_port, folder))
        wait_healthy(node, node_port)
        wait_healthy(stock, stock_port)
        with httpx.Client(base_url=f"http://{HOST}:{node_port}", timeout=60) as http:
            members = community(http, min(MEMBERS, args.clients))
            results: dict[str, list[dict[str, Any]]] = {"node": [], "stock": []}
            for number in range(args.rounds):
                doc = members.new_document(f"Bench round {number}")
                tokens = members.tokens
                base = f"ws://{HOST}:{node_port}/ws/docs/{doc}?token="
                urls = {
                    "node": [base + tokens[i % len(tokens)] for i in range(args.clients)],
                    "stock": [f"ws://{HOST}:{stock_port}/bench-{number}"] * args.clients,
                }  # fmt: skip
                order = ["node", "stock"] if number % 2 == 0 else ["stock", "node"]
                for kind in order:
                    outcome = asyncio.run(run_round(urls[kind], args.seconds, args.interval))
                    results[kind].append(outcome)
                    time.sleep(1.0)  # let the server settle (the node stores and snapshots)
    finally:
        for process in processes:
            stop_server(process)
        for log in sorted(folder.glob("*.log")):  # what the servers said, if anything
            if said := log.read_text(errors="replace").strip():
                print(f"--- {log.name}\n{said[-4000:]}", file=sys.stderr)
    node_figures, stock_figures = summary(results["node"]), summary(results["stock"])
    return {
        "clients": args.clients,
        **node_figures,
        "baseline": {"server": "pycrdt-websocket stock", **stock_figures},
        "ratio_p50": round(node_figures["p50_ms"] / stock_figures["p50_ms"], 2),
        "ratio_p99": round(node_figures["p99_ms"] / stock_figures["p99_ms"], 2),
        "goal_p99_ms": 100,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "interval_s": args.interval,
        "offered_updates_per_s": round(args.clients / args.interval, 1),
        "backend": "sqlite",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="typing time per round")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a "
                        "client's inserts")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3, help="rounds on each server")
    args = parser.parse_args()
    # A terminated bench still stops its servers and removes its folder.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as folder:
        print(orjson.dumps(run(args, Path(folder))).decode())


if __name__ == "__main__":
    main()
