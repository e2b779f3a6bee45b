"""A space's health measures on a space of 100,000 events by 5,000 members: seconds of the
first read with nothing of insight folded or cached (cold), and milliseconds of a read
while the log has not changed (cached, median of 30).

The baseline, measured in the same run, is the space's ledger folded from scratch (the
value domain's own cold read, which the measures also need): `cold_over_fold` is the cold
read over that fold (the ledger itself warm during the cold read).

Prints one JSON line: {"events", "members", "cold_s", "cached_ms", "fold_s",
"cold_over_fold", "after_change_s", "build_seconds"}.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from p2pvalue.accounting.service import Value
from p2pvalue.config import init_data_dir
from p2pvalue.events.keys import KeyPair
from p2pvalue.insight.service import Insight
from p2pvalue.node import Node

BATCH = 2000
Action = tuple[KeyPair, str, dict[str, Any]]


def build(node: Node, events: int, members: int) -> str:
    """A space of `members` members whose other events are tasks worked on by a few people,
    thread replies, and claims each approved by another member."""
    founder = node.accounts.register("founder", "bench-password")
    space = str(node.create_space(founder, "Bench").id)
    keys = [node.accounts.key_of(founder)] + [KeyPair.generate() for _ in range(members - 1)]
    for start in range(1, members, BATCH):
        node.writer.act_many(space, [(k, "member.join", {}) for k in keys[start : start + BATCH]])
    made = members
    tasks: list[str] = []
    step = 0
    while made < events:
        batch = [_action(keys, tasks, step + i) for i in range(min(BATCH, events - made))]
        step += len(batch)
        outcomes = node.writer.act_many(space, batch)
        tasks += [str(o.id) for (_, t, _), o in zip(batch, outcomes, strict=True)
                  if t == "task.create"][:50]  # fmt: skip
        reviews = [
            (keys[(i * 7 + 1) % members], "contribution.review", {"claim": str(o.id),
                                                                  "verdict": "approve"})
            for i, ((_, t, _), o) in enumerate(zip(batch, outcomes, strict=True))
            if t == "contribution.claim" and o.status == "accepted"
        ][: events - made - len(batch)]  # fmt: skip
        node.writer.act_many(space, reviews)
        made += len(batch) + len(reviews)
    return space


def _action(keys: list[KeyPair], tasks: list[str], i: int) -> Action:
    # Work follows a heavy tail: a few members do most of it.
    who = keys[int(len(keys) * ((i * 0.618034) % 1) ** 3)]
    if i % 4 == 0 or not tasks:
        return who, "task.create", {"title": f"task {i}"}
    if i % 4 == 1:
        return who, "task.claim", {"task": tasks[(i * 31) % len(tasks)]}
    content = {"kind": "code", "description": f"change {i}", "quantity": 1 + i % 5,
               "unit": "hours"}  # fmt: skip
    return who, "contribution.claim", content


def seconds(read: Any) -> float:
    start = time.perf_counter()
    read()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = init_data_dir(Path(folder) / "node")
        with Node(config) as node:
            started = time.perf_counter()
            space = build(node, args.events, args.members)
            built = time.perf_counter() - started
            value, insight = node.service(Value), node.service(Insight)
            value.rebuild()
            fold = seconds(lambda: value.ledger(space))
            insight.rebuild()
            cold = seconds(lambda: insight.health(space))
            cached = statistics.median(seconds(lambda: insight.health(space)) for _ in range(30))
            founder = node.accounts.by_username("founder")
            assert founder is not None
            one_more = (node.accounts.key_of(founder), "task.create", {"title": "one more"})
            node.writer.act_many(space, [one_more])
            after = seconds(lambda: insight.health(space))
            print(orjson.dumps({
                "events": len(node.writer.log(space) or ()), "members": args.members,
                "cold_s": round(cold, 3), "cached_ms": round(cached * 1000, 3),
                "fold_s": round(fold, 3), "cold_over_fold": round(cold / fold, 2),
                "after_change_s": round(after, 3), "build_seconds": round(built, 1),
            }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
