"""Real nodes for federation tests: each a `p2pvalue serve` process on its own loopback port
and data folder, stopped and started again as a test needs, driven over its HTTP API."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

STARTUP_SECONDS = 20.0
PASSWORD = "correct horse battery"
ADMIN = "admin"  # each node's admin: it decides which spaces the node holds
# The nodes run on loopback, which a node reaches only when told it may (see outbound).
INIT = ("--outbound-allow", "127.0.0.0/8", "--admin", ADMIN)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(condition: Callable[[], bool], seconds: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.1)


class NodeProcess:
    """One node: a data folder, a port, and while it runs, a server process."""

    def __init__(self, root: Path, name: str, *, sync_every: float = 1.0) -> None:
        self.name = name
        self.data = root / name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sync_every = sync_every
        self.process: subprocess.Popen[bytes] | None = None
        self.log = root / f"{name}.log"
        self.http = httpx.Client(base_url=self.url, timeout=30)
        self.tokens: dict[str, str] = {}
        self._cli("init", "--data", str(self.data), "--public-url", self.url, *INIT)

    def _cli(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "p2pvalue", *args], check=True,
                       capture_output=True, env=_env())  # fmt: skip

    def start(self) -> None:
        args = [sys.executable, "-m", "p2pvalue", "serve", "--data", str(self.data),
                "--port", str(self.port), "--sync-every", str(self.sync_every)]  # fmt: skip
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=_env())
        wait_for(self._healthy, STARTUP_SECONDS, f"{self.name} to start (see {self.log})")

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
        try:
            return self.http.get("/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        self.http.close()

    def sign_up(self, username: str) -> str:
        """A new account here; its did (its bearer token is kept for `act`)."""
        body = {"username": username, "password": PASSWORD}
        created = self.http.post("/api/v1/accounts", json=body)
        assert created.status_code == 201, created.text
        session = self.http.post("/api/v1/sessions", json=body)
        self.tokens[username] = session.json()["token"]
        did: str = created.json()["did"]
        return did

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def create_space(self, username: str, name: str) -> str:
        created = self.http.post("/api/v1/spaces", json={"name": name}, headers=self.auth(username))
        assert created.status_code == 201, created.text
        space: str = created.json()["id"]
        return space

    def act(self, username: str, space: str, type: str, content: dict[str, Any]) -> str:
        response = self.http.post(
            f"/api/v1/spaces/{space}/actions", json={"type": type, "content": content},
            headers=self.auth(username),
        )  # fmt: skip
        assert response.status_code == 201, response.text
        event: str = response.json()["id"]
        return event

    def replicate(self, space: str, peer: NodeProcess | str) -> None:
        """Have this node hold `space` from `peer` (a node or its URL), as its admin asks."""
        if ADMIN not in self.tokens:
            self.sign_up(ADMIN)
        url = peer if isinstance(peer, str) else peer.url
        body = {"space": space, "peer": url}
        asked = self.http.post("/api/v1/replicas", json=body, headers=self.auth(ADMIN))
        assert asked.status_code == 202, asked.text

    def holds(self, space: str) -> bool:
        """Whether the node holds the whole space (not only shows it while copying it)."""
        response = self.http.get(f"/api/v1/spaces/{space}")
        return response.status_code == 200 and "sync" not in response.json()

    def log_ids(self, space: str) -> list[tuple[str, bool]]:
        """The space's whole log here, in order: (id, accepted)."""
        found: list[tuple[str, bool]] = []
        after = -1
        while True:
            page = self.http.get(f"/api/v1/spaces/{space}/events",
                                 params={"after": after, "limit": 500}).json()  # fmt: skip
            found += [(e["id"], e["accepted"]) for e in page["events"]]
            if page["next"] is None:
                return found
            after = page["next"]

    def state(self, space: str) -> dict[str, Any]:
        """What the node derives from the space: its log, members, summary, ledger and the
        board and threads."""
        summary = self.http.get(f"/api/v1/spaces/{space}").json()
        derived = {name: self.http.get(f"/api/v1/spaces/{space}/{name}").json()
                   for name in ("members", "ledger", "values", "projects", "threads")}  # fmt: skip
        return {"log": self.log_ids(space), "counts": (summary["events"], summary["accepted"]),
                **derived}  # fmt: skip


@contextmanager
def running(root: Path, *names: str) -> Iterator[list[NodeProcess]]:
    """Nodes of those names in folders under `root`, started; stopped at the end."""
    nodes = [NodeProcess(root, name) for name in names]
    try:
        for node in nodes:
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.close()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("P2PVALUE_DATABASE_URL", None)
    env.pop("P2PVALUE_PUBLIC_URL", None)
    return env
