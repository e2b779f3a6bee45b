"""The unread count every page's navigation shows, for a member with 5,000 notifications
(claims waiting for their review), half of them marked read.

Timed per count, as a page render asks it: the count kept between pages (`unread`, the
store and the member's marks unchanged since the last page), the same count right after
another event was stored (the notifications derived again) and right after the member
marked one read (counted again against the ids kept). The baseline, in the same run on the
same node: deriving every notification and counting those not marked read, as every page
did before, in steady state and right after another event was stored (both folding what
the write added to the space's state). Statements run per count are counted on the
node's engine. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from argon2 import PasswordHasher
from sqlalchemy import event

from p2pvalue.config import init_data_dir
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.social.notifications import Notifications

BATCH = 500
CLAIM = {"kind": "docs", "quantity": 1, "unit": "hours"}
PASSWORD = "bench password long enough"


def community(node: Node, count: int) -> tuple[str, str]:
    """A space where one member claimed `count` contributions that another may review, who
    marked half of them read; (the space, the reviewer's did)."""
    ana = node.accounts.register("ana", PASSWORD)
    ben = node.accounts.register("ben", PASSWORD)
    space = str(node.create_space(ana, "Guild").id)
    assert node.act(ben, space, "member.join", {}).status == "accepted"
    key = node.accounts.key_of(ana)
    for start in range(0, count, BATCH):
        claims = [(key, "contribution.claim", {**CLAIM, "description": f"answer {n}"})
                  for n in range(start, min(count, start + BATCH))]  # fmt: skip
        node.writer.act_many(space, claims)
    notifications = node.service(Social).notifications
    ids = [note["id"] for note in notifications.every(ben.did)]
    assert len(ids) == count, len(ids)
    notifications.mark_read(ben.did, ids[::2])
    return space, ben.did


def timed(call: Callable[[], int], repeat: int, before: Callable[[], Any] = lambda: None
          ) -> tuple[list[float], int]:  # fmt: skip
    """Milliseconds of each call (`before` runs untimed ahead of each), and the count."""
    samples, found = [], 0
    for _ in range(repeat):
        before()
        began = time.perf_counter()
        found = call()
        samples.append((time.perf_counter() - began) * 1000)
    return samples, found


def statements(node: Node, call: Callable[[], int]) -> int:
    ran: list[str] = []

    def listener(*args: Any) -> None:
        ran.append(args[2])

    event.listen(node.engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(node.engine, "before_cursor_execute", listener)
    return len(ran)


def old_count(notifications: Notifications, did: str) -> int:
    """Every page's count before: every notification derived, those not read counted."""
    return sum(not note["read"] for note in notifications.every(did))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notifications", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite)")
    args = parser.parse_args()
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with (
        tempfile.TemporaryDirectory() as folder,
        Node(
            init_data_dir(Path(folder) / "node", args.database_url), password_hasher=hasher
        ) as node,
    ):
        space, did = community(node, args.notifications)
        social = node.service(Social)
        ann = node.accounts.by_username("ana")
        assert ann is not None
        notifications = social.notifications
        old = partial(old_count, notifications, did)
        new = partial(notifications.unread, did)
        old(), new()  # the folded state warm, as on a running node
        baseline, expected = timed(old, args.repeat)
        kept, found = timed(new, args.repeat * 10)
        assert found == expected == args.notifications // 2, (found, expected)

        def post() -> None:
            node.act(ann, space, "post.create", {"text": "news"})

        after_write, _ = timed(new, args.repeat, post)
        baseline_after_write, _ = timed(old, args.repeat, post)
        unread = [n["id"] for n in notifications.every(did) if not n["read"]]

        def mark() -> None:
            notifications.mark_read(did, [unread.pop()])

        after_mark, found = timed(new, args.repeat, mark)
        assert found == old(), found
        backend = node.engine.dialect.name
        old_statements, kept_statements = statements(node, old), statements(node, new)
    print(orjson.dumps({
        "benchmark": "unread", "backend": backend, "notifications": args.notifications,
        "unread": expected, "kept_ms": round(statistics.median(kept), 3),
        "after_write_ms": round(statistics.median(after_write), 2),
        "after_mark_ms": round(statistics.median(after_mark), 2),
        "kept_statements": kept_statements,
        "baseline": "every notification derived and counted, as each page did before",
        "baseline_ms": round(statistics.median(baseline), 2),
        "baseline_statements": old_statements,
        "baseline_after_write_ms": round(statistics.median(baseline_after_write), 2),
        "speedup_kept": round(statistics.median(baseline) / statistics.median(kept), 1),
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
