"""Counting 100,000 ranked ballots over 10 options by Schulze and by instant runoff, from the
Casts (merging identical rankings, then numpy), against pref_voting's Schulze (`beat_path`)
on the same ballots measured in the same run.

The ballots are uniformly random strict orders from a seeded generator, so nearly all of
them are distinct and merging saves nothing: the worst case. They are made outside the timed
parts, as Casts for us and as lists of candidate numbers for pref_voting. pref_voting's time
is building its Profile from the full 100,000 rankings (which computes the pairwise margins)
plus the `beat_path` call; it runs once on a small profile first, so numba's compilation is
not timed. Each figure is the median of `--rounds` runs. The winners must agree.

Prints one JSON line: {"ballots", "options", "schulze_s", "irv_s", "pref_voting_schulze_s"}.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import orjson
from pref_voting.profiles import Profile
from pref_voting.voting_methods import beat_path

from p2pvalue.governance.methods import tally
from p2pvalue.governance.methods.base import Cast, Option, Rules, Tally

T = TypeVar("T")


def random_orders(ballots: int, options: int, seed: int) -> list[list[int]]:
    """`ballots` uniformly random strict orders of `options` candidates."""
    rng = np.random.default_rng(seed)
    orders: list[list[int]] = np.argsort(rng.random((ballots, options)), axis=1).tolist()
    return orders


def timed(run: Callable[[], T], rounds: int) -> tuple[T, float]:
    """The last result of `run` and the median seconds of `rounds` runs."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def pref_voting_schulze(orders: list[list[int]]) -> list[int]:
    winners: list[int] = beat_path(Profile(orders))
    return winners


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--options", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    orders = random_orders(args.ballots, args.options, args.seed)
    options = [Option(f"option-{n}") for n in range(args.options)]
    casts = [Cast(f"voter-{n}", 1, {"ranking": [options[c].id for c in order]})
             for n, order in enumerate(orders)]  # fmt: skip

    def count(method: str) -> Callable[[], Tally]:
        return lambda: tally(Rules(method), options, casts, args.ballots)

    schulze, schulze_s = timed(count("schulze"), args.rounds)
    irv, irv_s = timed(count("irv"), args.rounds)
    pref_voting_schulze(random_orders(50, args.options, args.seed))
    theirs, theirs_s = timed(lambda: pref_voting_schulze(orders), args.rounds)
    assert int(schulze.winners[0].removeprefix("option-")) in theirs, (schulze, theirs)
    assert irv.passed and len(irv.winners) == 1, irv
    print(orjson.dumps({
        "ballots": args.ballots, "options": args.options, "schulze_s": round(schulze_s, 3),
        "irv_s": round(irv_s, 3), "pref_voting_schulze_s": round(theirs_s, 3),
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
