"""Named locks that every process sharing the node's database respects: a PostgreSQL
advisory lock held by a transaction of its own, or, on SQLite (one process), a lock of
this process.

For work that must be decided and done by one worker at a time, such as checking that a
document's latest snapshot differs from its state and then signing one.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

STRIPES = 64  # SQLite: names share this many locks of the process (a rare wait, no growth)
_LOCAL = [threading.Lock() for _ in range(STRIPES)]


def key_of(name: str) -> int:
    """The advisory lock's 63-bit key for `name`."""
    return int.from_bytes(hashlib.sha256(f"p2pvalue:{name}".encode()).digest()[:8]) >> 1


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock `name` until the block ends, waiting for any other holder first. On
    PostgreSQL the lock belongs to a transaction on a connection of its own, so it is let
    go however the block ends, even if the process is killed. Not to be nested: on SQLite
    two names may share one lock of the process."""
    key = key_of(name)
    if engine.dialect.name != "postgresql":
        with _LOCAL[key % STRIPES]:
            yield
        return
    with engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        yield
