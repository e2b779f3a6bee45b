"""A space's health measures on a space of 100,000 events by 5,000 members, as a node
that just started reads them. The space is built by one node, which reads its health once
(as a running node serving its pages would have) and closes, saving its folded state as
snapshots (`p2pvalue.snapshots`); then a new node opens the same data folder.

- `first_read`: a new node's first read of the space's health, everything included:
  loading the space's log, starting the ledger and insight's state from the snapshots and
  measuring (median of `--runs` new nodes).
- `log_load`: the part of that which loads the space's log (any first read of the space
  needs it, not only insight).
- `cold`: the read with the log loaded and nothing of insight or the ledger in memory: the
  state started from the snapshots, folded on, measured.
- `cold_without_snapshots`: the same with no snapshot, everything folded from the log: the
  baseline, measured in the same run (`cold_over_baseline`); `fold` is the ledger alone
  folded from scratch.
- `cached`: a read while the log has not changed (median of 30), and a read after one more
  event: a task (the ledger unchanged) and a claim (the ledger changed).

Cold reads are the medians of `--runs` runs.

Prints one JSON line: {"events", "members", "runs", "first_read_s", "log_load_s",
"cold_s", "cold_without_snapshots_s", "cold_over_baseline", "fold_s",
"cold_ledger_warm_s", "cached_ms", "after_task_s", "after_claim_s",
"reputation_over_time_s", "cpu_s" (the same in this process's CPU seconds),
"load_average" (before and after), "build_seconds"}.
"""

from __future__ import annotations

import argparse
import os
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


def timed(read: Any) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds of `read` (on a shared machine the wall
    time also counts waiting for a core)."""
    wall, cpu = time.perf_counter(), time.process_time()
    read()
    return time.perf_counter() - wall, time.process_time() - cpu


def median_of(runs: int, prepare: Any, read: Any) -> tuple[float, float]:
    """Median wall and CPU seconds of `read` over `runs` runs, each after `prepare`."""
    found = []
    for _ in range(runs):
        prepare()
        found.append(timed(read))
    return statistics.median(w for w, _ in found), statistics.median(c for _, c in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = init_data_dir(Path(folder) / "node")
        with Node(config) as node:
            started = time.perf_counter()
            space = build(node, args.events, args.members)
            built = time.perf_counter() - started
            node.service(Insight).health(space)  # as a running node would have
        load_before = os.getloadavg()[0]
        first, loads = [], []
        for _ in range(args.runs):
            with Node(config) as node:  # a node that just started
                first.append(timed(lambda: node.service(Insight).health(space)))
            with Node(config) as node:
                loads.append(timed(lambda: node.writer.log(space)))
        with Node(config) as node:
            node.writer.log(space)
            found = measure(node, space, args.runs)
            events = len(node.writer.log(space) or ())
        first_read, log_load = median_pair(first), median_pair(loads)
        found["cpu_s"] |= {"first_read": first_read[1], "log_load": log_load[1]}
        print(orjson.dumps(found | {
            "first_read_s": first_read[0], "log_load_s": log_load[0], "events": events,
            "members": args.members, "runs": args.runs,
            "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "build_seconds": round(built, 1),
        }).decode())  # fmt: skip


def median_pair(found: Any) -> tuple[float, float]:
    pairs = list(found)
    return (round(statistics.median(w for w, _ in pairs), 3),
            round(statistics.median(c for _, c in pairs), 3))  # fmt: skip


def measure(node: Node, space: str, runs: int) -> dict[str, Any]:
    value, insight = node.service(Value), node.service(Insight)

    def forget_all() -> None:
        value.rebuild()
        insight.rebuild()

    cold, cold_cpu = median_of(runs, forget_all, lambda: insight.health(space))
    assert node.snapshots.positions(space), "the cold read did not start from the snapshots"
    node.snapshots.drop()
    base, base_cpu = median_of(runs, forget_all, lambda: insight.health(space))
    fold, fold_cpu = median_of(runs, value.rebuild, lambda: value.ledger(space))
    warm, warm_cpu = median_of(runs, insight.rebuild, lambda: insight.health(space))
    cached = statistics.median(seconds(lambda: insight.health(space)) for _ in range(30))
    founder = node.accounts.by_username("founder")
    assert founder is not None
    key = node.accounts.key_of(founder)
    node.writer.act_many(space, [(key, "task.create", {"title": "one more"})])
    after_task, after_task_cpu = timed(lambda: insight.health(space))
    claim = {"kind": "code", "description": "one more", "quantity": 1, "unit": "hours"}
    node.writer.act_many(space, [(key, "contribution.claim", claim)])
    after_claim, after_claim_cpu = timed(lambda: insight.health(space))
    over_time, over_time_cpu = timed(lambda: insight.reputation_over_time(space))
    return {
        "cold_s": round(cold, 3), "cold_without_snapshots_s": round(base, 3),
        "cold_over_baseline": round(cold / base, 3), "fold_s": round(fold, 3),
        "cold_ledger_warm_s": round(warm, 3),
        "cached_ms": round(cached * 1000, 3), "after_task_s": round(after_task, 3),
        "after_claim_s": round(after_claim, 3), "reputation_over_time_s": round(over_time, 3),
        "cpu_s": {"cold": round(cold_cpu, 3), "cold_without_snapshots": round(base_cpu, 3),
                  "cold_over_baseline": round(cold_cpu / base_cpu, 3),
                  "fold": round(fold_cpu, 3), "cold_ledger_warm": round(warm_cpu, 3),
                  "after_task": round(after_task_cpu, 3),
                  "after_claim": round(after_claim_cpu, 3),
                  "reputation_over_time": round(over_time_cpu, 3)},
    }  # fmt: skip


if __name__ == "__main__":
    main()
