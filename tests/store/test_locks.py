"""`store.locks.exclusive`: a second holder of a name waits until the first lets it go, on
SQLite (a lock of the process) and PostgreSQL (an advisory lock, so across processes); other
names do not wait."""

from __future__ import annotations

import threading
import time

from p2pvalue.node import Node
from p2pvalue.store.locks import exclusive


def test_a_second_holder_waits_for_the_first(node: Node) -> None:
    order: list[str] = []
    held = threading.Event()

    def second() -> None:
        held.wait(5)
        with exclusive(node.engine, "doc.snapshot:x"):
            order.append("second")

    waiter = threading.Thread(target=second)
    waiter.start()
    with exclusive(node.engine, "doc.snapshot:x"):
        held.set()
        time.sleep(0.3)
        with exclusive(node.engine, "doc.snapshot:y"):  # another name: no wait
            order.append("first")
    waiter.join(5)
    assert order == ["first", "second"]


def test_the_lock_is_let_go_when_the_block_fails(node: Node) -> None:
    try:
        with exclusive(node.engine, "doc.snapshot:z"):
            raise RuntimeError("the work failed")
    except RuntimeError:
        pass
    done = threading.Event()

    def again() -> None:
        with exclusive(node.engine, "doc.snapshot:z"):
            done.set()

    threading.Thread(target=again, daemon=True).start()
    assert done.wait(5)
