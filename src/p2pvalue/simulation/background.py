"""What-ifs worked out away from the request that asks for them: a proposal's page shows
its what-ifs once they are ready, and says they are being worked out until then.

Each what-if is worked out once per state of what it reads (the space's ledger and its
governance state): a page asks (`Background.ask`), gets the result if it is ready for the
log as it now is, and otherwise the work is queued, once, for one thread of the process,
and the page answers at once. The results live in the process's memory, like the ledger:
a node served by several workers works each one out in the worker whose page asked.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from p2pvalue.errors import P2PError

LOG = logging.getLogger(__name__)
KEPT = 64  # results kept per process

R = TypeVar("R")


@dataclass(frozen=True)
class Done(Generic[R]):
    """A result, or the refusal that came instead, worked out for `state`."""

    state: tuple[object, ...]
    result: R | None
    refusal: Exception | None


class Background(Generic[R]):
    """Results worked out one at a time on a thread of their own, kept per key with the
    state they were worked out for."""

    def __init__(self) -> None:
        self._done: dict[Hashable, Done[R]] = {}
        self._queued: deque[tuple[Hashable, tuple[object, ...], Callable[[], R]]] = deque()
        self._working: set[Hashable] = set()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def ask(
        self, key: Hashable, state: tuple[object, ...], work: Callable[[], R]
    ) -> Done[R] | None:  # fmt: skip
        """What `work` gave for `state` if it is done; None while it is being worked out
        (queued now if it was not already)."""
        with self._changed:
            done = self._done.get(key)
            if done is not None and _same(done.state, state):
                return done
            if key not in self._working:
                self._working.add(key)
                self._queued.append((key, state, work))
                self._changed.notify_all()
                self._start()
        return None

    def settled(self, timeout: float) -> bool:
        """Wait until nothing is queued or being worked out; False if `timeout` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._working, timeout)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="what-ifs", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            with self._changed:
                if not self._queued:
                    self._thread = None
                    return
                key, state, work = self._queued.popleft()
            done = _attempt(state, work)
            with self._changed:
                if len(self._done) >= KEPT:
                    self._done.clear()
                self._done[key] = done
                self._working.discard(key)
                self._changed.notify_all()


def _attempt(state: tuple[object, ...], work: Callable[[], R]) -> Done[R]:
    try:
        return Done(state, work(), None)
    except P2PError as refusal:  # a trial the charter refuses: the page leaves it out
        return Done(state, None, refusal)
    except Exception as failure:
        LOG.exception("a what-if could not be worked out")
        return Done(state, None, failure)


def _same(kept: tuple[object, ...], now: tuple[object, ...]) -> bool:
    """Whether a result worked out for `kept` still holds for `now`: the same objects (a
    ledger and an authority are new objects once anything of them changed)."""
    return len(kept) == len(now) and all(a is b for a, b in zip(kept, now, strict=True))
