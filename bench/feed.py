"""The feed page of a member who follows 200 spaces holding 1,000,000 events in all.

How the data is made: signing and folding a million events would take most of the run and
is measured elsewhere (`bench/ingest.py`, `bench/rebuild.py`); the feed only reads the
stored rows. So the rows a node would hold after receiving those events (`events`, their
`event_status`, the `spaces` projection) are written directly with the bulk insert helper:
times spread over a year and arriving slightly out of order, 50 authors, 1% of the events
rejected. They are not signed; the feed never verifies what it reads.

Timed (outside generation): the feed's first page and 50 pages starting at random events
(`before` = that event's cursor), through `Social.feed.page` on SQLite. The baseline, in the
same run on the same rows, is the plain query one would write first: the followed spaces in
an IN list, ORDER BY ts, LIMIT 50 and OFFSET paging, on the first page and 10 random
offsets. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from p2pvalue.config import init_data_dir
from p2pvalue.events.canonical import b64u
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.store.bulk import insert_rows
from p2pvalue.store.schema import event_status, events, spaces
from p2pvalue.store.social import follow

CHUNK = 20_000
YEAR_MS = 365 * 86_400_000
PAGE = 50
TYPES = ("post.create", "contribution.claim", "contribution.review", "task.create")


def _id(seed: str) -> str:
    return b64u(hashlib.sha256(seed.encode()).digest())


def store_rows(node: Node, count: int, space_count: int, rng: random.Random) -> list[str]:
    """Write `count` event rows over `space_count` spaces; the space ids."""
    space_ids = [_id(f"space {i}") for i in range(space_count)]
    authors = [f"did:key:z6Mk{_id(f'author {i}')[:44]}" for i in range(50)]
    start = 1_700_000_000_000
    times = sorted(start + rng.randrange(YEAR_MS) for _ in range(count))
    positions = dict.fromkeys(space_ids, 0)
    with node.engine.begin() as conn:
        insert_rows(conn, spaces, [_space_row(s, i, start) for i, s in enumerate(space_ids)])
    for offset in range(0, count, CHUNK):
        event_rows, status_rows = [], []
        for index in range(offset, min(offset + CHUNK, count)):
            space = space_ids[rng.randrange(space_count)]
            event_id = _id(f"event {index}")
            kind = TYPES[index % len(TYPES)]
            body = orjson.dumps({"type": kind, "content": {"text": f"note {index} " * 4}})
            # Arrival is a little out of time order, as from several nodes.
            ts = times[index] - rng.randrange(60_000)
            event_rows.append({"id": event_id, "space": space, "type": kind,
                               "author": authors[index % 50], "depth": index, "ts": ts,
                               "body": body})  # fmt: skip
            status_rows.append({"id": event_id, "space": space, "position": positions[space],
                                "accepted": rng.random() >= 0.01, "reason": None})  # fmt: skip
            positions[space] += 1
        with node.engine.begin() as conn:
            insert_rows(conn, events, event_rows)
            insert_rows(conn, event_status, status_rows)
    return space_ids


def _space_row(space: str, index: int, ts: int) -> dict[str, Any]:
    return {"id": space, "name": f"Space {index}", "description": "", "creator": "did:key:z",
            "created_ts": ts, "membership": "open", "charter": "{}", "events": 0,
            "accepted": 0}  # fmt: skip


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 2)


def feed_timings(node: Node, did: str, count: int, pages: int, rng: random.Random) -> list[float]:
    with node.engine.begin() as conn:
        picks = [rng.randrange(1, count + 1) for _ in range(pages)]
        query = select(events.c.ts, events.c.seq).where(events.c.seq.in_(picks))
        cursors = [None, *(f"{ts}-{seq}" for ts, seq in conn.execute(query))]
    node.service(Social).feed.page(did)  # warm the cache as a running node would be
    samples = []
    for cursor in cursors:
        began = time.perf_counter()
        _full_page(node, did, cursor)
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def _full_page(node: Node, did: str, cursor: str | None) -> None:
    page = node.service(Social).feed.page(did, cursor, PAGE)
    assert len(page.items) == PAGE, len(page.items)


def offset_timings(node: Node, space_ids: list[str], count: int, pages: int,
                   rng: random.Random) -> list[float]:  # fmt: skip
    def page(offset: int) -> None:
        query = (
            select(events.c.id, events.c.type, events.c.author, events.c.ts, events.c.body)
            .join(event_status, event_status.c.id == events.c.id)
            .where(events.c.space.in_(space_ids), event_status.c.accepted.is_(True))
            .order_by(events.c.ts.desc(), events.c.seq.desc())
            .limit(PAGE)
            .offset(offset)
        )
        with node.engine.begin() as conn:
            assert len(conn.execute(query).all()) == PAGE

    offsets = [0, *(rng.randrange(count - 2 * PAGE) // 2 for _ in range(pages))]
    samples = []
    for offset in offsets:
        began = time.perf_counter()
        page(offset)
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--spaces", type=int, default=200)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--baseline-pages", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as folder, Node(init_data_dir(Path(folder))) as node:
        reader = node.accounts.register("reader", "bench password")
        space_ids = store_rows(node, args.events, args.spaces, rng)
        with node.engine.begin() as conn:
            for space in space_ids:
                follow(conn, reader.did, "space", space, 0)
        feed = feed_timings(node, reader.did, args.events, args.pages, rng)
        baseline = offset_timings(node, space_ids, args.events, args.baseline_pages, rng)
    print(orjson.dumps({
        "events": args.events, "spaces_followed": args.spaces, "pages": len(feed),
        "p50_ms": round(statistics.median(feed), 2), "p99_ms": percentile(feed, 0.99),
        "first_page_ms": round(feed[0], 2), "goal_p99_ms": 50,
        "baseline": "IN list + ORDER BY ts + OFFSET paging, same rows",
        "baseline_pages": len(baseline),
        "baseline_p50_ms": round(statistics.median(baseline), 2),
        "baseline_p99_ms": percentile(baseline, 0.99), "backend": "sqlite",
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
