"""A real TCP listener on a loopback address that counts every connection it accepts, for
tests that assert a node made none: it answers each request with one fixed HTTP answer."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


class CountingListener:
    """Listens on `host` (a free port) until closed; `accepted` counts connections and
    `requests` keeps the head of each request received; each answer waits `delay` s."""

    def __init__(self, host: str = "127.0.0.1", answer: bytes = OK, delay: float = 0.0) -> None:
        self.answer, self.delay = answer, delay
        self.accepted = 0
        self.requests: list[bytes] = []
        self._socket = socket.socket()
        self._socket.bind((host, 0))
        self._socket.listen(16)
        self.host, self.port = host, int(self._socket.getsockname()[1])
        self._socket.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                self.requests.append(head)
                time.sleep(self.delay)
                connection.sendall(self.answer)
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._socket.close()

    def __enter__(self) -> CountingListener:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()
