"""One exact BALANCED payout to many members, against a plain float numpy split of the same
budget measured in the same run.

Prints one JSON line: {"members", "seconds", "baseline_numpy_seconds", "goal_seconds",
"sum_exact", ...}. The baseline only floors float shares of the budget, so its sum falls
short; the exact split must add up to the budget to the minor unit.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import orjson

from p2pvalue.accounting.payouts import balanced

GOAL_SECONDS = 1.0


def community(members: int, seed: int) -> tuple[dict[str, int], dict[str, int]]:
    """Lifetime values and payments so far of a community with a long tail of contributors."""
    rng = random.Random(seed)
    value, paid = {}, {}
    for index in range(members):
        member = f"did:key:z6Mk{index:08d}"
        value[member] = int(rng.paretovariate(1.2) * 1000)
        if rng.random() < 0.6:
            paid[member] = rng.randrange(0, 500_000)
    return value, paid


def numpy_split(budget: int, value: dict[str, int]) -> npt.NDArray[np.float64]:
    """The float baseline: each member's share of the budget, floored."""
    weights = np.fromiter(value.values(), dtype=np.float64, count=len(value))
    shares: npt.NDArray[np.float64] = np.floor(budget * weights / weights.sum())
    return shares


def median_seconds(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--budget", type=int, default=123_456_789)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    value, paid = community(args.members, args.seed)
    payout = balanced(args.budget, value, paid)
    exact = sum(payout.amounts.values()) == args.budget
    exact = exact and all(amount >= 0 for amount in payout.amounts.values())
    seconds = median_seconds(lambda: balanced(args.budget, value, paid), args.rounds)
    baseline = median_seconds(lambda: numpy_split(args.budget, value), args.rounds)
    numpy_short = args.budget - int(numpy_split(args.budget, value).sum())
    print(orjson.dumps({
        "members": args.members, "seconds": round(seconds, 4),
        "baseline_numpy_seconds": round(baseline, 6), "goal_seconds": GOAL_SECONDS,
        "sum_exact": exact, "numpy_sum_short_by": numpy_short, "rounds": args.rounds,
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
