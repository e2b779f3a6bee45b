"""The lazy-acceptance sweep over an imported backlog: how long `Node.close_due_claims`
takes to accept 18,000 claims whose window (0 h) passed, ticks included, against closing
claims one `node.act` each (as the sweep did before), timed on a sample of the same space
in the same run and extrapolated to the backlog.

Prints one JSON line: {"claims", "closed", "seconds" (ticks included), "claims_per_s",
"one_by_one_per_s", "one_by_one_seconds" (extrapolated), "speedup", "goal_seconds"}.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import orjson

from bench.value_log import LIGHT_HASHING, value_space
from p2pvalue.accounting.service import Value
from p2pvalue.config import init_data_dir
from p2pvalue.node import Node

GOAL_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=18_000)
    parser.add_argument("--sample", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = init_data_dir(Path(folder))
        with Node(config, password_hasher=LIGHT_HASHING) as node:
            total = args.claims + args.sample
            lazy = value_space(node, "lazy", claims=total, events=total + 100,
                               lazy_hours=0, reviewed=False)  # fmt: skip
            start = time.perf_counter()
            node.timekeeper.tick()  # the sweep's first step: the windows start
            ticks = time.perf_counter() - start
            sample = list(node.service(Value).ledger(lazy.id).claims)[: args.sample]
            start = time.perf_counter()
            for claim in sample:  # the baseline: one transaction (and one check) a claim
                node.act(lazy.founder, lazy.id, "contribution.close", {"claim": claim})
            one_by_one = args.sample / (time.perf_counter() - start)
            start = time.perf_counter()
            closed = node.service(Value).close_due_claims()
            seconds = time.perf_counter() - start + ticks
            accepted = len(node.service(Value).ledger(lazy.id).accepted_claims())
    assert accepted == total, (accepted, total)
    print(orjson.dumps({
        "claims": args.claims, "closed": closed, "seconds": round(seconds, 2),
        "claims_per_s": round(closed / seconds, 1),
        "one_by_one_per_s": round(one_by_one, 1),
        "one_by_one_seconds": round(args.claims / one_by_one, 1),
        "speedup": round(closed / seconds / one_by_one, 1), "goal_seconds": GOAL_SECONDS,
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
