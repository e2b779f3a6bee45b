"""A real Yjs client for tests: `tests/collab/yclient.mjs` (y-websocket's WebsocketProvider on
Node) in a child process, driven over JSON lines. A reader thread collects what it prints;
every wait is bounded and fails with everything the client printed so far."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "collab" / "yclient.mjs"
EDITOR = ROOT / "editor"
PACKAGES = ("yjs", "y-websocket", "ws")
WAIT_SECONDS = 10.0
INSTALL = f"run `npm ci` in {EDITOR} (or scripts/build-editor)"

Event = dict[str, Any]


def node_binary() -> str:
    """The `node` executable, failing (not skipping) the test when it or the client's
    packages are missing: these tests are how the Yjs interop is checked at all."""
    found = shutil.which("node")
    if found is None:
        pytest.fail(f"`node` is not on PATH: install Node.js (>= 18), then {INSTALL}")
    missing = [name for name in PACKAGES if not (EDITOR / "node_modules" / name).is_dir()]
    if missing:
        pytest.fail(f"editor/node_modules lacks {', '.join(missing)}: {INSTALL}")
    return found


def ws_base(site: str) -> str:
    """The websocket base of a site's documents: `http://h:p` -> `ws://h:p/ws/docs`."""
    return site.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/ws/docs"


class YClient:
    """One Node Yjs client of a document, as `name`, authenticated by `token` (if any)."""

    def __init__(self, site: str, doc: str, token: str | None, name: str) -> None:
        self.name = name
        # `--opt=value`: ids and tokens are base64url, and one starting with "-" would read as
        # an option to node's parseArgs ("--doc -Yx…" fails as ambiguous).
        options = {"url": ws_base(site), "doc": doc, "name": name, "token": token}
        command = [node_binary(), str(SCRIPT)]
        command += [f"--{option}={value}" for option, value in options.items() if value]
        self.events: list[Event] = []
        self.exited = False
        self._changed = threading.Condition()
        self._stderr: list[str] = []
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", bufsize=1, cwd=ROOT,
        )  # fmt: skip
        self._threads = [
            threading.Thread(target=self._read, daemon=True, name=f"yclient-{name}"),
            threading.Thread(target=self._read_stderr, daemon=True, name=f"yclient-{name}-err"),
        ]
        for thread in self._threads:
            thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                parsed = json.loads(line)
            except json.JSONDecodeError:
                parsed = None
            event: Event = parsed if isinstance(parsed, dict) and "event" in parsed else {
                "event": "unparsed", "line": line.rstrip("\n")
            }  # fmt: skip
            with self._changed:
                self.events.append(event)
                self._changed.notify_all()
        with self._changed:
            self.exited = True
            self._changed.notify_all()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line.rstrip("\n"))

    # What the client has printed

    @property
    def text(self) -> str | None:
        """The text of the last `text` event (None before any)."""
        with self._changed:
            texts = [e["text"] for e in self.events if e["event"] == "text"]
        return texts[-1] if texts else None

    @property
    def users(self) -> list[str]:
        """The names in the last `awareness` event."""
        with self._changed:
            seen = [e["users"] for e in self.events if e["event"] == "awareness"]
        return list(seen[-1]) if seen else []

    def of_kind(self, kind: str) -> list[Event]:
        with self._changed:
            return [e for e in self.events if e["event"] == kind]

    def wait(self, what: str, condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> None:
        """Until `condition()` holds (checked at each line the client prints), or fail."""
        deadline = time.monotonic() + seconds
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0 or (self.exited and not condition()):
                    why = "exited" if self.exited else f"not within {seconds:g} s"
                    pytest.fail(f"{self.name}: {what}: {why}\n{self.transcript()}")
                self._changed.wait(min(left, 0.5))

    def transcript(self) -> str:
        lines = [json.dumps(e) for e in self.events]
        if self._stderr:
            lines += ["stderr:", *self._stderr]
        return "\n".join(f"  {line}" for line in lines) or "  (nothing printed)"

    # Waits for the events tests need

    def wait_synced(self) -> None:
        self.wait("synced", lambda: any(e["event"] == "synced" for e in self.events))

    def wait_text(self, expected: str) -> None:
        self.wait(f"text {expected!r}", lambda: self.text == expected)

    def wait_text_length(self, length: int) -> str:
        self.wait(f"text of {length} characters", lambda: len(self.text or "") == length)
        return self.text or ""

    def wait_users(self, *names: str) -> None:
        self.wait(f"present: {names}", lambda: set(names) <= set(self.users))

    def wait_closed(self) -> Event:
        self.wait("closed by the server", lambda: any(e["event"] == "closed" for e in self.events))
        return self.of_kind("closed")[0]

    def wait_exit(self, seconds: float = WAIT_SECONDS) -> int:
        try:
            return self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name}: still running after {seconds:g} s\n{self.transcript()}")

    # Commands

    def send(self, command: Event) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def insert(self, index: int, text: str) -> None:
        self.send({"op": "insert", "index": index, "text": text})

    def delete(self, index: int, length: int) -> None:
        self.send({"op": "delete", "index": index, "length": length})

    def quit(self) -> int:
        """Leave (the client sends its awareness removal and closes); its exit status."""
        if self.process.poll() is None:
            with suppress(OSError):  # it may be exiting on its own
                self.send({"op": "quit"})
        return self.wait_exit()

    def close(self) -> None:
        """End the process however it is (for teardown: never fails, kills if it must)."""
        if self.process.poll() is None:
            with suppress(OSError):
                self.send({"op": "quit"})
            try:
                self.process.wait(WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(WAIT_SECONDS)
        if self.process.stdin is not None:
            with suppress(OSError):
                self.process.stdin.close()
        for thread in self._threads:  # they stop at the end of the output
            thread.join(WAIT_SECONDS)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> YClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
