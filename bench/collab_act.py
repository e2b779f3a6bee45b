"""The cost of one collaboration action on a space with a long collaboration history: the
median time of `node.act` for a thread reply and a task creation, against a full refold of
the collaboration state (reading every collaboration event and folding board, threads and
documents, as every action cost before the state was kept folded), measured in the same run.

The space holds about `--events` collaboration events: tasks (a fifth claimed), threads on
the space and on tasks, and replies to them, written by 100 members.

Prints one JSON line: {"events", "collab_events", "reply_ms", "task_ms", "refold_ms",
"speedup" (refold over the slower action's median), "build_s", "runs"}.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench.act import timed_act, timed_ms
from bench.value_log import BATCH, LIGHT_HASHING
from p2pvalue.collab.service import Collab
from p2pvalue.collab.state import FOLDED_TYPES, fold
from p2pvalue.config import init_data_dir
from p2pvalue.events.keys import KeyPair
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

Action = tuple[KeyPair, str, dict[str, Any]]


def ingest(node: Node, space: str, actions: list[Action]) -> list[str]:
    """Take `actions` in through the write path, a batch per transaction; their ids."""
    ids = []
    for start in range(0, len(actions), BATCH):
        outcomes = node.writer.act_many(space, actions[start : start + BATCH])
        assert all(o.status == "accepted" for o in outcomes), outcomes[0]
        ids += [str(o.id) for o in outcomes]
    return ids


def collab_space(node: Node, events: int, members: int = 100) -> tuple[str, Any]:
    """A space of `members` members with about `events` collaboration events; its id and
    its founder's account."""
    founder = node.accounts.register("founder", "correct horse battery")
    space = str(node.create_space(founder, "big", charter=default_charter("open")).id)
    keys = [KeyPair.generate() for _ in range(members - 1)]
    node.writer.act_many(space, [(key, "member.join", {}) for key in keys])
    tasks_n = threads_n = events // 10
    tasks = ingest(node, space, [
        (keys[i % len(keys)], "task.create", {"title": f"task {i}"}) for i in range(tasks_n)
    ])  # fmt: skip
    ingest(node, space, [
        (keys[(i + 1) % len(keys)], "task.claim", {"task": task})
        for i, task in enumerate(tasks[: tasks_n // 5])
    ])  # fmt: skip
    threads = ingest(node, space, [
        (keys[i % len(keys)], "thread.create",
         {"on": {"kind": "task", "id": tasks[i]} if i % 2 else {"kind": "space"},
          "title": f"thread {i}", "text": "what do we do?"})
        for i in range(threads_n)
    ])  # fmt: skip
    replies = events - tasks_n - tasks_n // 5 - threads_n
    ingest(node, space, [
        (keys[i % len(keys)], "thread.reply", {"thread": threads[i % threads_n], "text": f"r{i}"})
        for i in range(replies)
    ])  # fmt: skip
    return space, founder


def refold_ms(node: Node, space: str, rounds: int) -> tuple[float, int]:
    """A full refold as `Collab.state` did on every change: read every event, fold."""
    count = 0

    def refold() -> None:
        nonlocal count
        _, events = node.writer.events_of(space, FOLDED_TYPES)
        log = node.writer.log(space)
        assert log is not None and log.authority is not None
        fold(space, events or [], log.authority.proposals)
        count = len(events or [])

    return statistics.median(timed_ms(refold) for _ in range(rounds)), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--refolds", type=int, default=5)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        Node(init_data_dir(Path(folder)), password_hasher=LIGHT_HASHING) as node,
    ):
        start = time.perf_counter()
        space, founder = collab_space(node, args.events)
        built = time.perf_counter() - start
        state = node.service(Collab).state(space)  # the node's first read folds it all
        thread = next(iter(state.threads.threads))
        reply = [timed_act(node, founder, space, "thread.reply",
                           {"thread": thread, "text": f"reply {i}"})
                 for i in range(args.runs)]  # fmt: skip
        task = [timed_act(node, founder, space, "task.create", {"title": f"new {i}"})
                for i in range(args.runs)]  # fmt: skip
        refold, collab_events = refold_ms(node, space, args.refolds)
        events = node.space(space).events
    slowest = max(statistics.median(reply), statistics.median(task))
    print(orjson.dumps({
        "events": events, "collab_events": collab_events, "runs": args.runs,
        "reply_ms": round(statistics.median(reply), 2),
        "task_ms": round(statistics.median(task), 2), "refold_ms": round(refold, 1),
        "speedup": round(refold / slowest, 1), "build_s": round(built, 1),
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
