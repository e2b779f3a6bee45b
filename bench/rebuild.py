"""Re-deriving every projection from a stored log of 1,000,000 events.

The log (one space: a founder, members joining, then a linear chain of signed posts) is
generated and stored first, outside the timed part; the timed part is `p2pvalue rebuild`'s
work: read every event, fold it, and write every projection afresh. Prints one JSON line:
{"events", "seconds", "events_per_s", "identical"}, where `identical` says the rebuilt
projections equal those the incremental path wrote for the same events in the same run
(measured on a prefix, `--check`, to keep the run short).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import orjson

from bench.common import community_log, wires
from p2pvalue import audit
from p2pvalue.config import init_data_dir
from p2pvalue.node import Node
from p2pvalue.store import events as store
from p2pvalue.store import projections

CHUNK = 20_000


def store_raw(node: Node, count: int) -> None:
    """Put `count` signed events in the event table, as a node that received them would."""
    batch = []
    for event in community_log(count):
        batch.append(event)
        if len(batch) == CHUNK:
            with node.engine.begin() as conn:
                store.insert_events(conn, batch)
            batch = []
    with node.engine.begin() as conn:
        store.insert_events(conn, batch)


def incremental_equals_rebuild(count: int) -> bool:
    with tempfile.TemporaryDirectory() as folder, Node(init_data_dir(Path(folder))) as node:
        events = wires(list(community_log(count)))
        for offset in range(0, count, 1000):
            node.ingest(events[offset : offset + 1000])
        with node.engine.begin() as conn:
            before = projections.snapshot(conn)
        audit.rebuild(node)
        with node.engine.begin() as conn:
            return before == projections.snapshot(conn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--check", type=int, default=20_000)
    args = parser.parse_args()
    identical = incremental_equals_rebuild(args.check)
    with tempfile.TemporaryDirectory() as folder, Node(init_data_dir(Path(folder))) as node:
        store_raw(node, args.events)
        start = time.perf_counter()
        counts = audit.rebuild(node)
        seconds = time.perf_counter() - start
    assert counts["events"] == args.events, counts
    print(orjson.dumps({
        "events": args.events, "seconds": round(seconds, 2),
        "events_per_s": round(args.events / seconds), "goal_seconds": 60,
        "identical": identical, "checked_events": args.check, "backend": "sqlite",
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
