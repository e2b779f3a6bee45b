"""Event signatures verified in bulk, a big batch on the machine's other core.

Verifying an Ed25519 signature costs more than everything else the write path does for an
event (60-100 µs against about 70 µs), and libsodium has no batch verification. A thread
does not help (the write path holds the GIL between the calls), so a batch of at least
`CHUNK` events is verified by one worker process, chunk by chunk, while the write path
parses the rest of the batch and folds it. A smaller batch, or a machine with one core,
is verified where it is.

The worker is `python -m p2pvalue.verifier`, started at the first big batch: it
reads frames of claims on its standard input and answers a verdict byte a claim. It runs
this module alone (never the program that started it, as multiprocessing's spawn would).
A worker that dies or answers out of turn is replaced, the chunks it owed verified here;
one that never answers is not started again.
"""

from __future__ import annotations

import logging
import os
import signal
import struct
import subprocess
import sys
import threading
import weakref
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from p2pvalue.events.keys import KEY_BYTES, SIG_BYTES, Claim, verifies

LOG = logging.getLogger(__name__)
# Claims a frame: the first frame of a batch leaves early (importing in batches of 1,000,
# measured 6,500 events/s with 250 against 6,100 with 500).
CHUNK = 250
_COUNT = struct.Struct("<I")


def encode(claims: list[Claim]) -> bytes:
    """A frame of claims as the worker reads it: their count, then each claim's key,
    signature (zeros when it is not 64 bytes: the verdict is then "no" anyway), message
    length and message."""
    parts = [_COUNT.pack(len(claims))]
    for public, message, signature in claims:
        if len(public) != KEY_BYTES or len(signature) != SIG_BYTES:
            public, signature = bytes(KEY_BYTES), bytes(SIG_BYTES)
        parts += (public, signature, _COUNT.pack(len(message)), message)
    return b"".join(parts)


def serve(source: BinaryIO, sink: BinaryIO) -> None:
    """The worker: answer each frame of claims on `source` with a verdict byte a claim."""
    while header := source.read(_COUNT.size):
        verdicts = bytearray()
        for _ in range(_COUNT.unpack(header)[0]):
            public, signature = source.read(KEY_BYTES), source.read(SIG_BYTES)
            message = source.read(_COUNT.unpack(source.read(_COUNT.size))[0])
            verdicts.append(public != bytes(KEY_BYTES) and verifies((public, message, signature)))
        sink.write(_COUNT.pack(len(verdicts)) + bytes(verdicts))
        sink.flush()


class WorkerGone(Exception):
    """The worker process stopped or answered out of turn."""


class Worker:
    """One worker process, a thread writing frames to it and one reading its verdicts, so
    that submitting never waits for the worker."""

    def __init__(self) -> None:
        # The worker imports this package from where this process found it.
        found = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(filter(None, (found, os.environ.get("PYTHONPATH"))))
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
        self.owner = os.getpid()
        self._lock = threading.Lock()
        self._frames: deque[bytes | None] = deque()
        self._ready = threading.Condition(self._lock)
        self._waiting: deque[tuple[int, Future[list[bool]]]] = deque()
        self.gone = False
        self.answered = 0  # chunks answered
        self._closing = False
        self._threads = [
            threading.Thread(target=loop, daemon=True, name="signature-worker")
            for loop in (self._write_loop, self._read_loop)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, claims: list[Claim]) -> Future[list[bool]]:
        future: Future[list[bool]] = Future()
        with self._lock:
            if self.gone:
                future.set_exception(WorkerGone("the signature worker has stopped"))
                return future
            self._waiting.append((len(claims), future))
            self._frames.append(encode(claims))
            self._ready.notify()
        return future

    def close(self) -> None:
        """Let the worker finish what it was sent, then end it and its threads."""
        with self._lock:
            self._closing = True
            self._frames.append(None)
            self._ready.notify()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(5)
        assert self._process.stdout is not None
        self._process.stdout.close()

    def _write_loop(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            while True:
                with self._lock:
                    while not self._frames:
                        self._ready.wait()
                    frame = self._frames.popleft()
                if frame is None:
                    break
                stdin.write(frame)
                stdin.flush()
        except OSError:
            self._fail()
        finally:
            with suppress(OSError):  # what is left unsent has nowhere to go
                stdin.close()

    def _read_loop(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            while header := stdout.read(_COUNT.size):
                answer = stdout.read(_COUNT.unpack(header)[0])
                with self._lock:
                    count, future = self._waiting.popleft()
                if len(answer) != count:
                    future.set_exception(WorkerGone("the signature worker answered out of turn"))
                    break
                future.set_result([verdict == 1 for verdict in answer])
                self.answered += 1
        except (OSError, IndexError, struct.error):
            pass
        self._fail()

    def _fail(self) -> None:
        with self._lock:
            if not (self.gone or self._closing):
                LOG.warning("the signature worker stopped; its chunks are verified here")
            self.gone = True
            waiting, self._waiting = self._waiting, deque()
        for _, future in waiting:
            if not future.done():
                future.set_exception(WorkerGone("the signature worker has stopped"))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class SignatureChecker:
    """Verifies batches' signatures: in a worker process, started at the first batch big
    enough and kept until `close`, where there is a second core."""

    def __init__(self, *, use_worker: bool | None = None) -> None:
        self.use_worker = _cores() > 1 if use_worker is None else use_worker
        self._worker: Worker | None = None
        self._lock = threading.Lock()

    def batch(self) -> SignatureBatch:
        """A batch to add claims to, in order, and then read their verdicts from."""
        return SignatureBatch(self)

    def submit(self, claims: list[Claim]) -> Future[list[bool]] | None:
        """The worker's verdicts on `claims` to come; None without a worker."""
        with self._lock:
            worker = self._running() if self.use_worker else None
            return worker.submit(claims) if worker is not None else None

    def _running(self) -> Worker | None:
        """The worker, started again if it stopped; None from the time one fails to start."""
        if self._worker is not None and self._worker.owner != os.getpid():
            self._worker = None  # a forked copy of this process: the worker is the parent's
        if self._worker is not None and self._worker.gone:
            gone, self._worker = self._worker, None
            gone.close()
            if not gone.answered:
                LOG.warning("the signature worker does not start; verifying here from now on")
                self.use_worker = False
                return None
        if self._worker is None:
            try:
                self._worker = Worker()
            except OSError as error:
                LOG.warning("no signature worker (%s); verifying here from now on", error)
                self.use_worker = False
                return None
            # A node dropped without `close` stops its worker too.
            weakref.finalize(self, self._worker.close)
        return self._worker

    def close(self) -> None:
        """Stop the worker process, if one was started."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()


class SignatureBatch:
    """The claims of one batch: each full chunk goes to the worker as soon as it is added,
    and the verdicts come back in the order the claims were added."""

    def __init__(self, checker: SignatureChecker) -> None:
        self._checker = checker
        self._chunks: list[tuple[list[Claim], Future[list[bool]] | None]] = []
        self._open: list[Claim] = []

    def add(self, claim: Claim) -> None:
        self._open.append(claim)
        if len(self._open) == CHUNK:
            self._send()

    def verdicts(self) -> Iterator[bool]:
        """Whether each claim verifies, in order; each chunk is waited for only when it is
        reached. Every chunk of a big batch is with the worker once this returns."""
        if self._open:
            if self._chunks:  # a big batch: its last, partial chunk goes to the worker too
                self._send()
            else:
                self._chunks.append((self._open, None))
            self._open = []
        return (verdict for chunk in self._chunks for verdict in self._resolve(*chunk))

    def _send(self) -> None:
        self._chunks.append((self._open, self._checker.submit(self._open)))
        self._open = []

    @staticmethod
    def _resolve(claims: list[Claim], verdicts: Future[list[bool]] | None) -> list[bool]:
        if verdicts is not None:
            try:
                return verdicts.result()
            except WorkerGone:
                pass  # logged once, when it stopped
        return [verifies(claim) for claim in claims]


if __name__ == "__main__":
    # Ctrl-C in a terminal reaches the whole process group; the worker ends when the node
    # closes its standard input instead, after answering what it was sent.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)
