"""Propagation latency of a live document: 50 concurrent y-websocket clients editing one
document on a local node, from the moment a client sends an update until each other client
has received it. Goal: p99 under 100 ms.

The node runs as a real server in its own process, started the way `p2pvalue serve` starts
it (`web.app.run_server`: uvicorn with `SERVER_SETTINGS`, the objects alive at startup
frozen out of the garbage collector's reach; SQLite in a temporary data folder); the bench signs
up a few members over the API, who share the clients (each client is its own Yjs client
id), and creates a fresh document each round.
Every frame a client sends goes through the node's `Guard` (access, limits, authorship) and
every update is persisted.

The baseline, in the same run and on the same workload, is pycrdt-websocket's stock server
(`WebsocketServer` behind `ASGIServer`, the same uvicorn settings) in a process of its own
that loads nothing else: no access control, no persistence. The two alternate round by
round (the machine is shared and noisy); each figure is the median over the rounds
(`p99_rounds_ms` lists them), and `ratio_p99` = node p99 / stock p99 (`ratio_p50` likewise).

The clients are stock Yjs clients: y-websocket's `WebsocketProvider` over `ws` (which
offers permessage-deflate, as browsers do; both servers decline it), all 50 in one Node
process (`docs_clients.mjs`, with the editor's packages: `cd editor && npm ci`), timed
there on one clock. Each client inserts a short marked text at a random place every
`--interval` seconds for `--seconds`, the clients staggered evenly over the interval; a
client has received an update once its document has applied it. One latency sample per
(update, client other than its sender); an update that has not arrived `DRAIN_SECONDS`
after the last send counts as `missing`, with the time waited as its (lower-bound)
latency. `updates_per_s` is updates delivered per second: the updates over the time from
the first send to the last delivery.

The tail is the servers' full garbage collections: one stops a Python process for as long
as it takes to walk every object the collector tracks. A node holds some 190,000 at startup
(its modules and services) against the stock server's 35,000, which is why `run_server`
freezes them (p99 327 ms unfrozen, 21 ms frozen, in one measurement). `full_gc` gives, for each
server, the full collections that fell inside its rounds (how many, the longest; timed in
the server's process). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    import httpx

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
CLIENTS = ROOT / "bench" / "docs_clients.mjs"
PASSWORD = "bench password"
MEMBERS = 5  # accounts sharing the clients
JOIN_TIMEOUT = 30.0  # as docs_clients.mjs waits, for the first client then for the others
DRAIN_SECONDS = 5.0  # how long to wait, after the last send, for every update to arrive

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


# --- the servers, each run in its own process -----------------------------------------------


def serve(kind: str, port: int, settings: str, pauses: str, data: str = "") -> None:
    """Run the node (`kind` "node", from the data folder `data`) or pycrdt-websocket's stock
    server ("stock") on `port` with the uvicorn `settings` (JSON) until terminated; then
    write its full garbage collections to the file `pauses`."""
    # Imported here: a server's process loads only what it serves with.
    import uvicorn

    options = {"host": HOST, "port": port, "log_level": "warning", **orjson.loads(settings)}
    collections = FullCollections()
    gc.callbacks.append(collections.note)
    # uvicorn stops on SIGTERM, then raises it again: leave through `finally` on it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if kind == "stock":
            uvicorn.run(stock_app(), **options)
            return
        from p2pvalue.config import load_config
        from p2pvalue.node import Node
        from p2pvalue.web.app import create_app, run_server

        with Node(load_config(Path(data))) as node:
            run_server(create_app(node), HOST, port, "warning")
    finally:
        Path(pauses).write_bytes(orjson.dumps(collections.pauses))


class FullCollections:
    """The full garbage collections of this process: when each ended (`time.monotonic`, one
    clock for every process of the machine) and how long it took, in ms."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float]] = []
        self._began = 0.0

    def note(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append((time.monotonic(), (time.perf_counter() - self._began) * 1000))


def stock_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """pycrdt-websocket's `ASGIServer` over a `WebsocketServer` with its defaults (a room per
    path, nothing stored, no checks), started by the ASGI lifespan; `/healthz` answers."""
    from pycrdt.websocket import ASGIServer, WebsocketServer

    def logged(exception: Exception, log: logging.Logger) -> bool:
        # The room fails its sends to clients that have just left (they all leave at the
        # end of a round); anything else is worth reading.
        if not isinstance(exception, ExceptionGroup) or exception.split(OSError)[1]:
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
    """The server in a process of its own, its output in `folder`/`kind`.log and its full
    collections in `folder`/`kind`.gc.json once it has stopped."""
    from p2pvalue.web.app import SERVER_SETTINGS

    settings = orjson.dumps(SERVER_SETTINGS).decode()
    pauses = str(folder / f"{kind}.gc.json")
    code = (
        f"from bench.docs import serve; serve({kind!r}, {port}, {settings!r}, {pauses!r}, {data!r})"
    )
    with (folder / f"{kind}.log").open("wb") as log:
        return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip


def wait_healthy(process: subprocess.Popen[bytes], port: int, seconds: float = 60.0) -> None:
    import httpx

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


# --- the clients, in Node ------------------------------------------------------------------


def run_clients(url: str, room: str, tokens: list[str], args: argparse.Namespace) -> Any:
    """One round of `docs_clients.mjs` against the room `room` at `url`: its JSON result."""
    command = [
        "node", str(CLIENTS), f"--url={url}", f"--room={room}", f"--tokens={','.join(tokens)}",
        f"--clients={args.clients}", f"--seconds={args.seconds}", f"--interval={args.interval}",
        f"--drain={DRAIN_SECONDS}",
    ]  # fmt: skip
    limit = 2 * JOIN_TIMEOUT + args.seconds + DRAIN_SECONDS + 10
    done = subprocess.run(command, capture_output=True, timeout=limit, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the clients failed: {done.stderr.decode(errors='replace')}")
    return orjson.loads(done.stdout.splitlines()[-1])


def figures(result: dict[str, Any]) -> dict[str, Any]:
    """A round's figures, in ms, from the clients' latency samples."""
    samples: list[float] = result["latencies_ms"]
    return {
        "updates": result["updates"],
        "samples": len(samples),
        "missing": result["missing"],
        "p50_ms": statistics.median(samples),
        "p99_ms": percentile(samples, 0.99),
        "max_ms": max(samples),
        "updates_per_s": result["updates"] / (result["span_ms"] / 1000),
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
    import httpx

    from p2pvalue.config import init_data_dir

    init_data_dir(folder / "node")
    node_port, stock_port = free_port(), free_port()
    results: dict[str, list[dict[str, Any]]] = {"node": [], "stock": []}
    windows: dict[str, list[tuple[float, float]]] = {"node": [], "stock": []}
    processes = []
    try:
        processes.append(node := start_server("node", node_port, folder, str(folder / "node")))
        processes.append(stock := start_server("stock", stock_port, folder))
        wait_healthy(node, node_port)
        wait_healthy(stock, stock_port)
        with httpx.Client(base_url=f"http://{HOST}:{node_port}", timeout=60) as http:
            members = community(http, min(MEMBERS, args.clients))
            for number in range(args.rounds):
                rooms = {
                    "node": (f"ws://{HOST}:{node_port}/ws/docs",
                             members.new_document(f"Bench round {number}"), members.tokens),
                    "stock": (f"ws://{HOST}:{stock_port}", f"bench-{number}", []),
                }  # fmt: skip
                for kind in ["node", "stock"] if number % 2 == 0 else ["stock", "node"]:
                    began = time.monotonic()
                    results[kind].append(figures(run_clients(*rooms[kind], args)))
                    windows[kind].append((began, time.monotonic()))
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
        "full_gc": {kind: full_collections(folder, kind, windows[kind]) for kind in windows},
        "rounds": args.rounds,
        "seconds": args.seconds,
        "interval_s": args.interval,
        "offered_updates_per_s": round(args.clients / args.interval, 1),
        "backend": "sqlite",
    }


def full_collections(folder: Path, kind: str, windows: list[tuple[float, float]]) -> Any:
    """The full garbage collections of a server during its rounds: how many, the longest
    (None if the server did not stop cleanly, so never wrote them)."""
    written = folder / f"{kind}.gc.json"
    if not written.exists():
        return None
    pauses = orjson.loads(written.read_bytes())
    inside = [ms for at, ms in pauses if any(began <= at <= end for began, end in windows)]
    return {"count": len(inside), "max_ms": round(max(inside, default=0.0), 1)}


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
