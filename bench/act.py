"""The cost of one value action on a space with a long history: the median time of
`node.act` for a claim, a review and a (lazy-acceptance) close, against a full refold of
the ledger (reading every accepted value event and `fold`-ing them, as every action cost
before the ledger was kept folded), measured in the same run.

The main space has 20,000 claims, each approved by a review (approvals = 1), among about
100,000 events (members joining, posts between the claims). Closes are timed on a second
space with lazy acceptance (window 0 h) holding 2,000 claims a timekeeper's tick started.

Prints one JSON line: {"claim_ms", "review_ms", "close_ms", "refold_ms", "speedup" (refold
over the slowest action's median), "goal_ms", "goal_speedup", "concurrent_ms" (a claim
from another node that sorts before the last `--back` value events taken in and the
ledger read: they are taken back and folded again), ...}.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bench.value_log import LIGHT_HASHING, ValueSpace, claim, value_space
from p2pvalue.accounting.ledger import LEDGER_TYPES, fold
from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.config import init_data_dir
from p2pvalue.events.event import build_event
from p2pvalue.node import Node

GOAL_MS = 20.0
GOAL_SPEEDUP = 50.0


def timed_ms(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def timed_act(node: Node, account: Account, space: str, type: str, content: Any) -> float:
    """How long one accepted `node.act` took, in ms."""
    start = time.perf_counter()
    outcome = node.act(account, space, type, content)
    assert outcome.status == "accepted", outcome
    return (time.perf_counter() - start) * 1000


def actions_ms(node: Node, big: ValueSpace, lazy: ValueSpace, runs: int) -> dict[str, float]:
    """The median time of `runs` claims, reviews of them and closes of due claims."""
    claim_ms = [
        timed_act(node, big.claimant, big.id, "contribution.claim", claim(10**6 + i))
        for i in range(runs)
    ]
    mine = [
        c.id
        for c in node.service(Value).ledger(big.id).claims.values()
        if c.author == big.claimant.did
    ]
    review_ms = [
        timed_act(node, big.reviewer, big.id, "contribution.review",
                  {"claim": claim_id, "verdict": "approve"})
        for claim_id in mine[-runs:]
    ]  # fmt: skip
    close_ms = [
        timed_act(node, lazy.founder, lazy.id, "contribution.close", {"claim": claim_id})
        for claim_id in list(node.service(Value).ledger(lazy.id).claims)[:runs]
    ]
    return {
        "claim_ms": statistics.median(claim_ms), "review_ms": statistics.median(review_ms),
        "close_ms": statistics.median(close_ms),
    }  # fmt: skip


def concurrent_ms(node: Node, big: ValueSpace, back: int, runs: int) -> float:
    """The median time to take in a claim from another node written before the last `back`
    value events (it sorts before them: the ledger takes them back and folds them again)
    and read the ledger after it."""
    key = node.accounts.key_of(big.claimant)
    times = []
    for i in range(runs):
        node.service(Value).ledger(big.id)
        log = node.writer.log(big.id)
        assert log is not None
        value = [i for i in log.order[-20 * back :] if log.entries[i].type in LEDGER_TYPES]
        parent = log.entries[log.entries[value[-back]].prev[0]]
        event = build_event(key, "contribution.claim", claim(2 * 10**6 + i), space=big.id,
                            prev=[parent.id], depth=parent.depth + 1, ts=node.clock())  # fmt: skip
        start = time.perf_counter()
        [outcome] = node.ingest([event.wire])
        node.service(Value).ledger(big.id)
        times.append((time.perf_counter() - start) * 1000)
        assert outcome.status == "accepted", outcome
    return statistics.median(times)


def refold_ms(node: Node, space: str, rounds: int) -> tuple[float, int]:
    """A full refold as `Node.ledger` did on every change: read every value event, fold."""
    claims = 0

    def refold() -> None:
        nonlocal claims
        _, events = node.writer.events_of(space, LEDGER_TYPES)
        claims = len(fold(events or []).claims)

    return statistics.median(timed_ms(refold) for _ in range(rounds)), claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--lazy-claims", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--refolds", type=int, default=3)
    parser.add_argument("--back", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = init_data_dir(Path(folder))
        with Node(config, password_hasher=LIGHT_HASHING) as node:
            start = time.perf_counter()
            big = value_space(node, "big", claims=args.claims, events=args.events)
            lazy = value_space(node, "lazy", claims=args.lazy_claims, reviewed=False,
                               events=args.lazy_claims + 100, lazy_hours=0)  # fmt: skip
            node.timekeeper.tick()
            built = time.perf_counter() - start
            (
                node.service(Value).ledger(big.id),
                node.service(Value).ledger(lazy.id),
            )  # the node's first read folds them all
            medians = actions_ms(node, big, lazy, args.runs)
            concurrent = concurrent_ms(node, big, args.back, 5)
            refold, claims = refold_ms(node, big.id, args.refolds)
            events = node.space(big.id).events
    slowest = max(medians.values())
    print(orjson.dumps({
        "events": events, "claims": claims, "runs": args.runs,
        **{name: round(ms, 2) for name, ms in medians.items()}, "refold_ms": round(refold, 1),
        "speedup": round(refold / slowest, 1), "goal_ms": GOAL_MS,
        "goal_speedup": GOAL_SPEEDUP, "build_s": round(built, 1),
        "concurrent_ms": round(concurrent, 1), "concurrent_back": args.back,
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
