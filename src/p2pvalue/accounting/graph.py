"""The reputation graph: contributors, contributions and artefacts as nodes, weighted edges
between them, built from plain arrays with numpy and scipy.sparse, and its personalised
PageRank by power iteration.

Edges, each with a per-type weight from `ReputationParams`. A type's weight is the total
weight of that type leaving a node, split inside the type as stated, so the parameters read
as proportions and do not depend on the units values happen to be counted in:

    contribution → author        authorship        split by the authors' shares
    author → contribution        authorship_back   split by share (of 1) times the seed
    contribution → reviewer      review            split equally among the reviewers
    endorser → contribution      endorsement       split by the endorsements' weights
    contribution → artefact      belongs_to        (a contribution names at most one)
    artefact → contribution      artefact_back     split by the contributions' seeds

Co-authorship needs no edge of its own: credit reaches a co-author through the contribution
they share (author → contribution → co-author). The seed ("minting") of a contribution is
its accepted value, halved every `half_life_ms` before `now_ms`; CredRank's per-epoch nodes
are not modelled, recency lives in the seed and the backward edges instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Final, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from p2pvalue.errors import P2PError

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.int64]
Nodes = NDArray[np.int32]
Transition = sp.csr_array[np.float64, tuple[int, int]]
EdgeKind = Literal["authorship", "review", "endorsement", "belongs_to"]
NodeKind = Literal["contributor", "contribution", "artefact"]
EDGE_KINDS: Final[tuple[EdgeKind, ...]] = ("authorship", "review", "endorsement", "belongs_to")
AUTHORSHIP, REVIEW, ENDORSEMENT, BELONGS_TO = range(4)  # codes in ReputationGraph.kinds
DAY_MS: Final = 86_400_000


class ReputationInputError(P2PError):
    """Input the reputation cannot be computed from, with the reason in `code`."""

    status = 422


@dataclass(frozen=True, slots=True)
class ReputationParams:
    """The knobs of the reputation; the defaults are what a space starts from.

    - `teleport` 0.15: the chance of jumping back to the seed at each step (networkx's
      `alpha` is 1 - teleport), PageRank's usual value.
    - `authorship` 1.0, `review` 0.25, `belongs_to` 0.25: what leaves a contribution goes
      two thirds to its authors, a sixth to its reviewers and a sixth to its artefact
      (without reviewers or artefact, all of it to the authors).
    - `authorship_back` 1.0, `endorsement` 0.5: what leaves a contributor goes back into
      their own work, or a third of it to what they endorsed if they endorsed anything.
    - `artefact_back` 1.0: what reaches an artefact goes back to its contributions.
    - `half_life_ms` 180 days: a contribution's seed halves every half-life before
      `now_ms`; None turns recency off.
    - `tolerance` 1e-10, `max_iterations` 1000: iteration stops when the L1 distance
      between successive vectors is below `tolerance` (networkx's test is `N * tol`). The
      distance shrinks by (1 - teleport) per plain step, so about 150 plain steps (75
      sweeps of `compute`) reach 1e-10; `max_iterations` is a safety bound.
    """

    teleport: float = 0.15
    authorship: float = 1.0
    authorship_back: float = 1.0
    review: float = 0.25
    endorsement: float = 0.5
    belongs_to: float = 0.25
    artefact_back: float = 1.0
    half_life_ms: float | None = 180 * DAY_MS
    tolerance: float = 1e-10
    max_iterations: int = 1000

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ReputationInputError("reputation.params", f"{item.name} must be >= 0")
        if not 0 < self.teleport < 1:
            raise ReputationInputError("reputation.params", "teleport must be in (0, 1)")
        if self.half_life_ms == 0 or self.tolerance == 0 or self.max_iterations < 1:
            raise ReputationInputError(
                "reputation.params", "half_life_ms, tolerance and max_iterations must be > 0"
            )


@dataclass(frozen=True, slots=True, eq=False)
class ReputationColumns:
    """A space's contributions as columns: the input of `build_graph`.

    Indices point into `contributors`, `contributions` and `artefacts`; `artefact` holds
    one artefact index per contribution, -1 for none. Shares are any non-negative numbers
    (percent, basis points): they are normalised per contribution. `now_ms` is the moment
    recency is measured from; None means the newest contribution's timestamp, so the
    result is a function of the input and never of the clock.
    """

    contributors: Sequence[str]
    contributions: Sequence[str]
    artefacts: Sequence[str]
    value: FloatArray
    timestamp_ms: IndexArray
    artefact: IndexArray
    authorship_contribution: IndexArray
    authorship_contributor: IndexArray
    authorship_share: FloatArray
    review_contribution: IndexArray
    review_contributor: IndexArray
    endorsement_contributor: IndexArray
    endorsement_contribution: IndexArray
    endorsement_weight: FloatArray
    now_ms: int | None = None


@dataclass(frozen=True, slots=True, eq=False)
class ReputationGraph:
    """The graph ready for iteration.

    Nodes are numbered contributors, then artefacts, then contributions (from
    `first_contribution` on). The graph is bipartite: every edge joins a contribution to a
    contributor or an artefact, and `iterate` relies on it. `inflow` is the
    column-stochastic transition matrix in CSR: row v lists the edges into v, and
    `inflow[v, u]` is the chance of stepping from u to v. `kinds` gives the edge kind of
    each stored entry (duplicates are kept apart, so an author who also reviewed shows
    both). `seed` is the teleport distribution (all zero if nothing was minted) and
    `dangling` lists the nodes with no way out, whose mass teleports to the seed.
    `minted` is the total seed before normalising: the recency-weighted accepted value.
    """

    columns: ReputationColumns
    params: ReputationParams
    inflow: Transition
    kinds: NDArray[np.uint8]
    seed: FloatArray
    dangling: Nodes
    minted: float
    contributor_index: Mapping[str, int]

    @property
    def size(self) -> int:
        return int(self.seed.shape[0])

    @property
    def first_contribution(self) -> int:
        return len(self.columns.contributors) + len(self.columns.artefacts)

    def node_kind(self, node: int) -> NodeKind:
        if node < len(self.columns.contributors):
            return "contributor"
        return "artefact" if node < self.first_contribution else "contribution"

    def node_id(self, node: int) -> str:
        """The did, artefact id or contribution id of node number `node`."""
        people = len(self.columns.contributors)
        if node < people:
            return self.columns.contributors[node]
        if node < self.first_contribution:
            return self.columns.artefacts[node - people]
        return self.columns.contributions[node - self.first_contribution]


def build_graph(
    columns: ReputationColumns, params: ReputationParams | None = None
) -> ReputationGraph:
    """The weighted graph and seed of `columns`, vectorised: no loop over nodes or edges."""
    params = params or ReputationParams()
    check_columns(columns)
    seed = contribution_seed(columns, params)
    first_contribution = len(columns.contributors) + len(columns.artefacts)
    size = first_contribution + len(columns.contributions)
    source, target, weight, kind = _edges(columns, params, seed)
    out_weight = np.bincount(source, weights=weight, minlength=size)
    weight /= out_weight[source]
    inflow, kinds = _inflow_matrix(source, target, weight, kind, size)
    full_seed = np.zeros(size)
    full_seed[first_contribution:] = seed
    minted = float(full_seed.sum())
    if minted > 0:
        full_seed /= minted
    return ReputationGraph(
        columns=columns,
        params=params,
        inflow=inflow,
        kinds=kinds,
        seed=full_seed,
        dangling=np.flatnonzero(out_weight == 0).astype(np.int32),
        minted=minted,
        contributor_index={did: i for i, did in enumerate(columns.contributors)},
    )


def contribution_seed(columns: ReputationColumns, params: ReputationParams) -> FloatArray:
    """Each contribution's accepted value, halved every half-life before `now_ms`."""
    value = np.asarray(columns.value, dtype=np.float64)
    if params.half_life_ms is None or value.size == 0:
        return value
    now = columns.now_ms if columns.now_ms is not None else int(columns.timestamp_ms.max())
    age = np.maximum(now - columns.timestamp_ms, 0).astype(np.float64)
    decayed: FloatArray = value * np.exp2(-age / params.half_life_ms)
    return decayed


def check_columns(columns: ReputationColumns) -> None:
    """Refuse columns with mismatched lengths, indices out of range, negative or non-finite
    numbers, repeated contributor or artefact ids, or a contribution without a positive share.
    """
    people, works = len(columns.contributors), len(columns.contributions)
    _require(len(set(columns.contributors)) == people, "duplicate_contributor")
    _require(len(set(columns.artefacts)) == len(columns.artefacts), "duplicate_artefact")
    for name, array, low, high in (
        ("value", columns.value, 0, math.inf),
        ("timestamp_ms", columns.timestamp_ms, -math.inf, math.inf),
        ("artefact", columns.artefact, -1, len(columns.artefacts) - 1),
    ):
        _require(array.shape == (works,), f"{name}_length")
        _require(_within(array, low, high), f"{name}_range")
    for work, person, weight in (
        (columns.authorship_contribution, columns.authorship_contributor, columns.authorship_share),
        (columns.review_contribution, columns.review_contributor, None),
        (columns.endorsement_contribution, columns.endorsement_contributor,
         columns.endorsement_weight),
    ):  # fmt: skip
        _require(work.shape == person.shape, "edge_length")
        _require(_within(work, 0, works - 1), "edge_contribution")
        _require(_within(person, 0, people - 1), "edge_contributor")
        if weight is not None:
            _require(weight.shape == work.shape, "edge_length")
            _require(_within(weight, 0, math.inf), "edge_weight")
    shares = np.bincount(
        columns.authorship_contribution, weights=columns.authorship_share, minlength=works
    )
    _require(bool(np.all(shares > 0)), "no_author")


def _require(condition: bool, code: str) -> None:
    if not condition:
        raise ReputationInputError(f"reputation.{code}", code.replace("_", " "))


def _within(array: NDArray[np.generic], low: float, high: float) -> bool:
    if array.size == 0:
        return True
    numbers = array.astype(np.float64, copy=False)
    return bool(np.all(np.isfinite(numbers)) and numbers.min() >= low and numbers.max() <= high)


def _split(total: float, by: FloatArray, group: Nodes, groups: int) -> FloatArray:
    """`total` shared inside each group in proportion to `by`; zero where a group has none."""
    sums = np.bincount(group, weights=by, minlength=groups)
    denominator = sums[group]
    return np.divide(total * by, denominator, out=np.zeros_like(by), where=denominator > 0)


def _edges(
    columns: ReputationColumns, params: ReputationParams, seed: FloatArray
) -> tuple[Nodes, Nodes, FloatArray, NDArray[np.uint8]]:
    first = len(columns.contributors) + len(columns.artefacts)  # the first contribution
    size = first + len(columns.contributions)
    most_edges = 2 * (columns.authorship_contribution.size + columns.artefact.size) + (
        columns.review_contribution.size + columns.endorsement_contribution.size
    )
    _require(max(size, most_edges) < 2**31, "too_large")  # node and edge numbers are int32
    work = _nodes(columns.authorship_contribution, first)
    author = _nodes(columns.authorship_contributor, 0)
    share = _split(1.0, columns.authorship_share.astype(np.float64), work, size)
    reviewed = _nodes(columns.review_contribution, first)
    endorsed = _nodes(columns.endorsement_contribution, first)
    endorser = _nodes(columns.endorsement_contributor, 0)
    grouped = np.flatnonzero(columns.artefact >= 0)
    artefact = _nodes(columns.artefact[grouped], len(columns.contributors))
    part = _nodes(grouped, first)
    blocks = (
        (work, author, _split(params.authorship, share, work, size)),
        (author, work, _split(params.authorship_back, share * seed[work - first], author, size)),
        (reviewed, _nodes(columns.review_contributor, 0),
         _split(params.review, np.ones(reviewed.size), reviewed, size)),
        (endorser, endorsed,
         _split(params.endorsement, columns.endorsement_weight, endorser, size)),
        (part, artefact, np.full(part.size, params.belongs_to)),
        (artefact, part, _split(params.artefact_back, seed[grouped], artefact, size)),
    )  # fmt: skip
    kinds = (AUTHORSHIP, AUTHORSHIP, REVIEW, ENDORSEMENT, BELONGS_TO, BELONGS_TO)
    source = np.concatenate([block[0] for block in blocks])
    target = np.concatenate([block[1] for block in blocks])
    weight = np.concatenate([block[2] for block in blocks])
    kind = np.repeat(np.array(kinds, np.uint8), [block[0].size for block in blocks])
    kept = weight > 0
    if kept.all():
        return source, target, weight, kind
    return source[kept], target[kept], weight[kept], kind[kept]


def _nodes(indices: IndexArray, offset: int) -> Nodes:
    return indices.astype(np.int32) + np.int32(offset)


def _inflow_matrix(
    source: Nodes, target: Nodes, chance: FloatArray, kind: NDArray[np.uint8], size: int
) -> tuple[Transition, NDArray[np.uint8]]:
    """Edges grouped by target as CSR, duplicates kept, with their kinds in the same order."""
    # A stable sort of the edges by target, done by scipy's counting sort (several times
    # faster than argsort): each edge is its own column, so nothing is summed.
    positions = np.arange(source.size, dtype=np.int32)
    marks = np.ones(source.size, dtype=np.int8)
    grouped = sp.coo_array((marks, (target, positions)), shape=(size, source.size)).tocsr()
    grouped.sort_indices()
    order = grouped.indices
    matrix: Transition = sp.csr_array(
        (chance[order], source[order], grouped.indptr), shape=(size, size)
    )
    return matrix, kind[order]


def iterate(graph: ReputationGraph) -> tuple[FloatArray, FloatArray, int, bool]:
    """The stationary vector of `graph` by power iteration: (the vector one step before,
    the stationary vector, the number of steps, whether it converged).

    The steps are taken in Gauss-Seidel order: each sweep updates contributors and
    artefacts from the contributions, then the contributions from those fresh values. The
    graph is bipartite, so a sweep costs one pass over the edges and does the work of two
    plain steps. Sweeps stop when successive vectors are `tolerance` apart (L1); a last
    plain step gives the stationary vector, so that flows computed from the vector before
    it add up to it exactly. With nothing minted both vectors are the (zero) seed.
    """
    if graph.minted == 0:
        return graph.seed, graph.seed, 0, True
    vector, sweeps, converged = _sweep_until_converged(graph)
    return vector, step(graph, vector), sweeps + 1, converged


def _sweep_until_converged(graph: ReputationGraph) -> tuple[FloatArray, int, bool]:
    """Sweeps from the seed; the vector, the number of sweeps and whether it converged."""
    split, damping = graph.first_contribution, 1 - graph.params.teleport
    to_givers, to_works = _halves(graph, damping)
    seed = graph.seed[split:]
    dangling_givers = graph.dangling[graph.dangling < split]
    dangling_works = graph.dangling[graph.dangling >= split] - split
    givers, works, scratch = np.zeros(split), seed.copy(), np.empty(seed.size)
    for sweep in range(1, graph.params.max_iterations + 1):
        fresh_givers = np.asarray(to_givers @ works, dtype=np.float64)
        leak = float(fresh_givers[dangling_givers].sum() + works[dangling_works].sum())
        fresh_works = np.asarray(to_works @ fresh_givers, dtype=np.float64)
        fresh_works += np.multiply(seed, graph.params.teleport + damping * leak, out=scratch)
        change = float(np.abs(fresh_givers - givers).sum())
        change += float(np.abs(np.subtract(fresh_works, works, out=scratch), out=scratch).sum())
        givers, works = fresh_givers, fresh_works
        if change < graph.params.tolerance:
            return np.concatenate([givers, works]), sweep, True
    return np.concatenate([givers, works]), graph.params.max_iterations, False


def _halves(graph: ReputationGraph, damping: float) -> tuple[sp.csc_array[np.float64], Transition]:
    """The two off-diagonal blocks of the damped transition matrix: contributions to
    contributors and artefacts (CSC, so that a product reads the long contribution vector
    in order), and contributors and artefacts to contributions (CSR).
    """
    matrix, split, size = graph.inflow, graph.first_contribution, graph.size
    middle = int(matrix.indptr[split])
    to_givers = sp.csr_array(
        (matrix.data[:middle] * damping, matrix.indices[:middle] - split,
         matrix.indptr[: split + 1]),
        shape=(split, size - split),
    ).tocsc()  # fmt: skip
    to_works = sp.csr_array(
        (matrix.data[middle:] * damping, matrix.indices[middle:], matrix.indptr[split:] - middle),
        shape=(size - split, split),
    )
    return to_givers, to_works


def step(graph: ReputationGraph, vector: FloatArray) -> FloatArray:
    """One plain power step: x' = (1 - teleport) P x + (teleport + dangling mass) seed."""
    following = np.asarray(graph.inflow @ vector, dtype=np.float64)
    following *= 1 - graph.params.teleport
    following += teleported(graph, vector) * graph.seed
    return following


def teleported(graph: ReputationGraph, vector: FloatArray) -> float:
    """The mass that jumps to the seed in one step: the teleport plus the dangling mass."""
    damping = 1 - graph.params.teleport
    return graph.params.teleport + damping * float(vector[graph.dangling].sum())
