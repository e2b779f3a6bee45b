"""Reputation of a synthetic space of 10,000 contributors and 1,000,000 contributions
(about 4,000,000 directed edges): building the graph from arrays and iterating to the
stationary vector, against networkx's personalised PageRank on the same graph, run in the
same process afterwards and iterated to the same accuracy (networkx stops at an L1 change
below N * tol, so it gets tol = our tolerance / N).

The space is generated outside the timed part, vectorised with a fixed seed: contributors'
activity follows a power law, a quarter of the contributions have a co-author, 60 % a
reviewer, 10 % an endorsement and 40 % belong to one of 1,000 projects. networkx's graph is
built outside its timed part too, so `speedup` only compares the PageRank calls' cost with
our build plus compute. With `--baseline-scale 0.1` networkx runs on the subgraph of the
first tenth of the contributions and its time is extrapolated linearly (`"baseline":
"extrapolated"`), for machines where a full networkx run would not fit in memory.

Prints one JSON line: {"contributors", "contributions", "edges", "seconds", "peak_rss_mb",
"networkx_seconds", "speedup", "baseline", ...}; `max_abs_diff` is the largest difference
between the two stationary vectors.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from dataclasses import replace
from typing import Any

import numpy as np
import orjson
import scipy.sparse as sp

from p2pvalue.accounting.graph import FloatArray, IndexArray
from p2pvalue.accounting.reputation import (
    ReputationColumns,
    ReputationGraph,
    ReputationResult,
    build_graph,
    compute,
)

YEAR_MS = 365 * 86_400_000
START_MS = 1_700_000_000_000


def synthetic_space(
    contributors: int, contributions: int, projects: int, seed: int = 7
) -> ReputationColumns:
    """A space's contributions as columns, generated with numpy alone."""
    rng = np.random.default_rng(seed)
    activity = 1.0 / np.arange(1, contributors + 1) ** 0.8
    activity /= activity.sum()
    first = rng.choice(contributors, size=contributions, p=activity)
    shared = np.flatnonzero(rng.random(contributions) < 0.25)
    reviewed = np.flatnonzero(rng.random(contributions) < 0.6)
    endorsed = np.flatnonzero(rng.random(contributions) < 0.1)
    first_share = rng.integers(50, 100, shared.size).astype(np.float64)
    shares = np.full(contributions, 100.0)
    shares[shared] = first_share
    in_project = rng.random(contributions) < 0.4
    return ReputationColumns(
        contributors=[f"did:key:z{n:08d}" for n in range(contributors)],
        contributions=[f"c{n:07d}" for n in range(contributions)],
        artefacts=[f"project-{n}" for n in range(projects)],
        value=rng.lognormal(2.0, 1.0, contributions).round(2),
        timestamp_ms=np.sort(rng.integers(START_MS, START_MS + 3 * YEAR_MS, contributions)),
        artefact=np.where(in_project, rng.integers(0, projects, contributions), -1),
        authorship_contribution=np.concatenate([np.arange(contributions), shared]),
        authorship_contributor=np.concatenate([first, _other(rng, first[shared], contributors)]),
        authorship_share=np.concatenate([shares, 100.0 - first_share]),
        review_contribution=reviewed,
        review_contributor=_other(rng, first[reviewed], contributors),
        endorsement_contributor=rng.choice(contributors, size=endorsed.size, p=activity),
        endorsement_contribution=endorsed,
        endorsement_weight=np.ones(endorsed.size),
    )


def _other(rng: np.random.Generator, people: IndexArray, contributors: int) -> IndexArray:
    """For each person, someone else, uniformly."""
    return (people + rng.integers(1, contributors, people.size)) % contributors


def first_part(columns: ReputationColumns, fraction: float) -> ReputationColumns:
    """The subgraph of the first `fraction` of the contributions, with every contributor."""
    works = round(len(columns.contributions) * fraction)
    a, r = columns.authorship_contribution < works, columns.review_contribution < works
    e = columns.endorsement_contribution < works
    return replace(
        columns, contributions=columns.contributions[:works], value=columns.value[:works],
        timestamp_ms=columns.timestamp_ms[:works], artefact=columns.artefact[:works],
        authorship_contribution=columns.authorship_contribution[a],
        authorship_contributor=columns.authorship_contributor[a],
        authorship_share=columns.authorship_share[a],
        review_contribution=columns.review_contribution[r],
        review_contributor=columns.review_contributor[r],
        endorsement_contributor=columns.endorsement_contributor[e],
        endorsement_contribution=columns.endorsement_contribution[e],
        endorsement_weight=columns.endorsement_weight[e],
    )  # fmt: skip


def ours(columns: ReputationColumns) -> tuple[ReputationResult, float, float]:
    """The result, the seconds spent building and computing, and those spent building."""
    start = time.perf_counter()
    graph = build_graph(columns)
    built = time.perf_counter()
    result = compute(graph)
    return result, time.perf_counter() - start, built - start


def networkx_pagerank(graph: ReputationGraph) -> tuple[FloatArray, float, float, int]:
    """networkx's stationary vector of the same transition matrix, the seconds its build and
    its `pagerank` call took, and the number of edges it saw (duplicates merged).
    """
    import networkx as nx

    start = time.perf_counter()
    merged = sp.coo_array(graph.inflow)
    merged.sum_duplicates()  # a DiGraph holds one edge per pair: add parallel edges' chances
    nx_graph = nx.DiGraph()
    nx_graph.add_nodes_from(range(graph.size))
    nx_graph.add_weighted_edges_from(
        zip(merged.coords[1].tolist(), merged.coords[0].tolist(), merged.data.tolist(),
            strict=True)
    )  # fmt: skip
    seed = dict(enumerate(graph.seed.tolist()))
    edges = merged.nnz
    del merged
    built = time.perf_counter()
    ranks: dict[int, float] = nx.pagerank(
        nx_graph, alpha=1 - graph.params.teleport, personalization=seed, weight="weight",
        tol=graph.params.tolerance / graph.size, max_iter=graph.params.max_iterations,
    )  # fmt: skip
    seconds = time.perf_counter() - built
    vector = np.fromiter((ranks[node] for node in range(graph.size)), np.float64, graph.size)
    return vector, built - start, seconds, edges


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contributors", type=int, default=10_000)
    parser.add_argument("--contributions", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of ours; median kept")
    parser.add_argument(
        "--baseline-scale", type=float, default=1.0,
        help="run networkx on this fraction of the contributions and extrapolate linearly",
    )  # fmt: skip
    args = parser.parse_args()
    columns = synthetic_space(args.contributors, args.contributions, args.projects)
    input_mb = peak_rss_mb()
    times = [ours(columns)[1:] for _ in range(args.rounds - 1)]  # each result dropped at once
    result, *last = ours(columns)
    times.append((last[0], last[1]))
    seconds, build_seconds = (statistics.median(column) for column in zip(*times, strict=True))
    peak_mb = peak_rss_mb()
    figures = {
        "contributors": args.contributors, "contributions": args.contributions,
        "edges": result.graph.inflow.nnz, "seconds": round(seconds, 3),
        "build_seconds": round(build_seconds, 3), "iterations": result.iterations,
        "peak_rss_mb": round(peak_mb), "input_rss_mb": round(input_mb),
    }  # fmt: skip
    baseline = baseline_figures(columns, result, args.baseline_scale)
    speedup = round(baseline["networkx_seconds"] / seconds, 1)
    print(orjson.dumps({**figures, **baseline, "speedup": speedup}).decode())


def baseline_figures(
    columns: ReputationColumns, result: ReputationResult, scale: float
) -> dict[str, Any]:
    if scale < 1:
        result = compute(build_graph(first_part(columns, scale)))
    vector, build_seconds, seconds, edges = networkx_pagerank(result.graph)
    return {
        "networkx_seconds": round(seconds / scale, 3),
        "networkx_build_seconds": round(build_seconds / scale, 3),
        "baseline": "full" if scale >= 1 else "extrapolated",
        "baseline_edges": edges,
        "max_abs_diff": float(np.abs(vector - result.stationary).max()),
    }


if __name__ == "__main__":
    main()
