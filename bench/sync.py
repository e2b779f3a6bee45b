"""A node joining a space of 100,000 events held by another node, over loopback.

Two real nodes, each a `p2pvalue serve` process with its own data folder: A holds the space,
B holds nothing. Between them sits a counting TCP proxy (in this process): A's public URL is
the proxy's, so the space's `member.home` events name it and B, asked to replicate the space
from it, sends nothing back. Counted are the bytes A sends B (status lines, headers and
bodies of every response, log pages gzipped as B accepts them) from the request to
replicate until B holds every event.

How A's space is made, outside the timed part: a founder and a handful of members join an
open space, announce A as their home, then post (a linear chain of signed `post.create`);
the signed events are stored raw and A's projections derived from them, as
`bench/rebuild.py` does. Timed: `POST /api/v1/replicas {"space", "peer": proxy}` on B, then
`GET /api/v1/spaces/{space}` on B every 0.2 s until it counts every event. B's backfill
pages through A's `/log` and ingests each page through the one write path, reading the next
page (its signatures verified by B's worker process, on the other core) while it commits
one.

Baseline, in the same run on the same events: B's write path fed locally, the space's
canonical lines (`log_bytes` is their size, newlines not counted) imported from a file
as `p2pvalue import FILE` does, in a fresh node folder. `ratio` = sync events/s ÷ import
events/s is what the network, HTTP and the second process cost; `wire_ratio` =
`wire_bytes` / `log_bytes`. Goal: 5,000 events/s and a `wire_ratio` of at most 1.2.
The import goes in batches of `audit.IMPORT_BATCH` events, the backfill in pages of
`worker.BACKFILL_PAGE` (`baseline_batch`, `page`); the import overlaps verifying a batch's
signatures with folding it, but not with reading the next batch. Since the machines are
shared, the CPU seconds each side spent are printed too, counting the processes each
started (the one verifying signatures): B's (`joiner_cpu_s`) and A's (`holder_cpu_s`) from
the request to the end, the import's (`baseline_cpu_s`).

The nodes' anti-entropy runs every `--sync-every` seconds (an hour by default); it leaves
a space alone while it is being copied, so only the backfill is measured either way.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from p2pvalue import audit
from p2pvalue.config import init_data_dir, load_config
from p2pvalue.events.event import Event, build_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.federation.worker import BACKFILL_PAGE
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.store import events as store

CHUNK = 20_000
MEMBERS = 5
POLL_S = 0.2
STARTUP_S = 30.0
PASSWORD = "bench password, long enough"
WORDS = ("commons", "review", "patch", "design", "meeting", "budget", "docs", "release",
         "translation", "bug", "test", "feedback", "value", "proposal", "sprint")  # fmt: skip
LOCALHOST = "127.0.0.1"


def space_log(count: int, home_node: str, home_url: str) -> Iterator[Event]:
    """`count` signed events: an open space founded, joined by `MEMBERS` keys, every member
    announcing `home_url` as their home, then posts by them in turn, a linear chain."""
    rng = random.Random(7)
    founder = KeyPair.generate()
    people = [KeyPair.generate() for _ in range(MEMBERS)]
    ts = int(time.time() * 1000) - count
    create = build_event(founder, "space.create", {"name": "Bench", "charter":
                         default_charter("open")}, space=None, ts=ts)  # fmt: skip
    yield create
    everyone = [founder, *people]
    home = {"node": home_node, "url": home_url}
    preamble: list[tuple[KeyPair, str, dict[str, Any]]]
    preamble = [(key, "member.join", {}) for key in people]
    preamble += [(key, "member.home", home) for key in everyone]
    head = create.id
    for index in range(1, count):
        if index <= len(preamble):
            key, kind, content = preamble[index - 1]
        else:
            key, kind = everyone[index % len(everyone)], "post.create"
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 30)))
            content = {"text": f"note {index}: {words}"}
        event = build_event(key, kind, content, space=create.id, prev=[head], depth=index,
                            ts=ts + index)  # fmt: skip
        head = event.id
        yield event


def build_holder(data: Path, public_url: str, count: int, lines: Path) -> tuple[str, int]:
    """A's data folder holding the space (stored raw, projections derived), and the space's
    canonical lines written to `lines`; the space id and the lines' size without newlines."""
    with Node(init_data_dir(data, public_url=public_url)) as node:
        batch: list[Event] = []
        for event in space_log(count, node.did, public_url):
            batch.append(event)
            if len(batch) == CHUNK:
                with node.engine.begin() as conn:
                    store.insert_events(conn, batch)
                batch = []
        with node.engine.begin() as conn:
            store.insert_events(conn, batch)
        node.writer.rebuild()
        space = node.spaces()[0].id
        log_bytes = 0
        with lines.open("wb") as out:
            for body in node.export(space):
                out.write(body + b"\n")
                log_bytes += len(body)
        summary = node.space(space)
    assert (summary.events, summary.accepted) == (count, count), summary
    return space, log_bytes


def import_rate(data: Path, lines: Path, count: int) -> tuple[float, float | None]:
    """Events/s of `p2pvalue import FILE`'s work on a fresh node (the baseline), and the CPU
    seconds it took (this process's and its children's)."""
    with Node(init_data_dir(data, public_url="http://127.0.0.1:9")) as node:
        start, cpu = time.perf_counter(), cpu_seconds(os.getpid())
        with lines.open("rb") as handle:
            counts = audit.import_lines(node, handle)
        seconds, cpu = time.perf_counter() - start, _spent(cpu_seconds(os.getpid()), cpu)
    assert counts["accepted"] == count, counts
    return count / seconds, cpu


def log_size(data: Path, space: str) -> int:
    """The size of a space's events in their canonical encoding, as a node's store holds them."""
    with Node(load_config(data)) as node:
        return sum(len(body) for body in node.export(space))


class CountingProxy:
    """A TCP proxy to `target_port`, counting the bytes each way, on its own thread."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.downstream = 0  # bytes from the target to the client
        self.upstream = 0  # bytes from the client to the target
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def reset(self) -> None:
        self.downstream = self.upstream = 0

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        connections: set[asyncio.Task[None]] = set()

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            connections.add(task)
            try:
                await self._connection(reader, writer)
            finally:
                connections.discard(task)

        server = await asyncio.start_server(accept, LOCALHOST, 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
        for task in list(connections):
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)

    async def _connection(
        self, client: asyncio.StreamReader, to_client: asyncio.StreamWriter
    ) -> None:
        try:
            target, to_target = await asyncio.open_connection(LOCALHOST, self.target_port)
        except OSError:
            to_client.close()
            return
        await asyncio.gather(self._pipe(client, to_target, up=True),
                             self._pipe(target, to_client, up=False))  # fmt: skip

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *,
                    up: bool) -> None:  # fmt: skip
        try:
            while data := await source.read(256 * 1024):
                if up:
                    self.upstream += len(data)
                else:
                    self.downstream += len(data)
                sink.write(data)
                await sink.drain()
        except OSError:
            pass
        finally:
            sink.close()


class ServerProcess:
    """A node: `p2pvalue init` then `p2pvalue serve` on a loopback port, logging to a file."""

    def __init__(self, data: Path, port: int, public_url: str, sync_every: float) -> None:
        self.data, self.port = data, port
        self.url = f"http://{LOCALHOST}:{port}"
        self.log = data.with_suffix(".log")
        self.http = httpx.Client(base_url=self.url, timeout=60)
        self.process: subprocess.Popen[bytes] | None = None
        # On loopback, which a node reaches only when told it may; "joiner" asks for the
        # replica, which only a node admin may do for a space the node does not hold.
        init = ["init", "--data", str(data), "--public-url", public_url,
                "--outbound-allow", "127.0.0.0/8", "--admin", "joiner"]  # fmt: skip
        subprocess.run([sys.executable, "-m", "p2pvalue", *init], check=True,
                       capture_output=True, env=_env())  # fmt: skip
        self.serve = ["serve", "--data", str(data), "--port", str(port),
                      "--sync-every", str(sync_every)]  # fmt: skip

    def start(self) -> None:
        with self.log.open("ab") as out:
            command = [sys.executable, "-m", "p2pvalue", *self.serve]
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                            env=_env())  # fmt: skip
        deadline = time.monotonic() + STARTUP_S
        while not self._healthy():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.data.name} did not start: {self.tail()}")
            time.sleep(0.1)

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.data.name} exited: {self.tail()}")
        try:
            return self.http.get("/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def token(self, username: str) -> str:
        body = {"username": username, "password": PASSWORD}
        created = self.http.post("/api/v1/accounts", json=body)
        assert created.status_code == 201, created.text
        session = self.http.post("/api/v1/sessions", json=body)
        assert session.status_code == 201, session.text
        token: str = session.json()["token"]
        return token

    def cpu_seconds(self) -> float | None:
        """The CPU time the server process and its children (the process verifying
        signatures) have used so far (None where /proc is not)."""
        assert self.process is not None
        return cpu_seconds(self.process.pid)

    def close(self) -> None:
        self.http.close()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def cpu_seconds(pid: int) -> float | None:
    """The CPU time a process and its children, living or ended, have used so far (None
    where /proc is not)."""
    try:
        stats = {int(entry.name): _stat(entry) for entry in Path("/proc").iterdir()
                 if entry.name.isdigit()}  # fmt: skip
    except OSError:
        return None
    if stats.get(pid) is None:
        return None
    ticks = sum(_ticks(fields) for found, fields in stats.items()
                if fields is not None and (found == pid or int(fields[1]) == pid))  # fmt: skip
    return ticks / os.sysconf("SC_CLK_TCK")


def _stat(entry: Path) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, …), if still there."""
    try:
        return (entry / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _ticks(fields: list[str]) -> int:
    """utime + stime, and the same of the children waited for (cutime + cstime)."""
    return sum(int(field) for field in fields[11:15])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("P2PVALUE_DATABASE_URL", None)
    env.pop("P2PVALUE_PUBLIC_URL", None)
    env.pop("P2PVALUE_DATA", None)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCALHOST, 0))
        port: int = probe.getsockname()[1]
        return port


def join(joiner: ServerProcess, token: str, space: str, peer: str, count: int,
         timeout: float) -> tuple[float, dict[str, Any]]:  # fmt: skip
    """Ask `joiner` to replicate `space` from `peer` and wait until it holds `count` events;
    the seconds it took and the space's summary there."""
    auth = {"Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    asked = joiner.http.post("/api/v1/replicas", json={"space": space, "peer": peer},
                             headers=auth)  # fmt: skip
    assert asked.status_code == 202, asked.text
    while True:
        response = joiner.http.get(f"/api/v1/spaces/{space}")
        if response.status_code == 200 and response.json()["events"] >= count:
            return time.perf_counter() - start, response.json()
        if time.perf_counter() - start > timeout:
            found = response.json().get("events") if response.status_code == 200 else None
            raise RuntimeError(f"timed out with {found} events: {joiner.tail()}")
        time.sleep(POLL_S)


def _spent(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else round(after - before, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--sync-every", type=float, default=3600.0,
        help="the nodes' anti-entropy period (long: only the backfill runs)",
    )  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="p2pvalue-sync-") as folder:
        root = Path(folder)
        holder_port = free_port()
        with CountingProxy(holder_port) as proxy:
            peer = f"http://{LOCALHOST}:{proxy.port}"
            lines = root / "space.jsonl"
            space, log_bytes = build_holder(root / "a", peer, args.events, lines)
            local_rate, local_cpu = import_rate(root / "import", lines, args.events)
            nodes: list[ServerProcess] = []
            try:
                port = free_port()
                nodes.append(ServerProcess(root / "a", holder_port, peer, args.sync_every))
                nodes.append(ServerProcess(root / "b", port, f"http://{LOCALHOST}:{port}",
                                           args.sync_every))  # fmt: skip
                for node in nodes:
                    node.start()
                joiner = nodes[1]
                token = joiner.token("joiner")
                proxy.reset()
                cpu_before = [node.cpu_seconds() for node in nodes]
                seconds, summary = join(joiner, token, space, peer, args.events, args.timeout)
                wire_bytes, request_bytes = proxy.downstream, proxy.upstream
                cpu = [_spent(n.cpu_seconds(), b) for n, b in zip(nodes, cpu_before, strict=True)]
            finally:
                for node in reversed(nodes):
                    node.close()
            # The holder's store after the run: it must still hold exactly what was measured.
            assert log_size(root / "a", space) == log_bytes
    assert (summary["events"], summary["accepted"]) == (args.events, args.events), summary
    rate = args.events / seconds
    print(orjson.dumps({
        "events": args.events, "seconds": round(seconds, 2), "events_per_s": round(rate),
        "wire_bytes": wire_bytes, "log_bytes": log_bytes,
        "wire_ratio": round(wire_bytes / log_bytes, 3), "request_bytes": request_bytes,
        "page": BACKFILL_PAGE, "goal_events_per_s": 5000, "goal_wire_ratio": 1.2,
        "baseline": "the same lines imported locally by a node's write path "
                    "(p2pvalue import FILE)",
        "baseline_events_per_s": round(local_rate), "ratio": round(rate / local_rate, 3),
        "baseline_batch": audit.IMPORT_BATCH, "baseline_cpu_s": local_cpu,
        "joiner_cpu_s": cpu[1], "holder_cpu_s": cpu[0], "sync_every": args.sync_every,
        "backend": "sqlite",
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
