"""Explainable graph reputation in the CredRank family, and vote weights drawn from it.

Accepted value is minted on contribution nodes and flows along weighted edges to the
people who made, reviewed and endorsed the work (the graph is described in
`accounting.graph`). The reputation is the personalised PageRank of that graph: the
stationary vector of "follow an edge with chance 1 - teleport, else jump to a contribution
in proportion to its seed", computed by power iteration on a sparse matrix.

A contributor's score is their part of the stationary vector divided by the part all
contributors hold, so scores sum to 1 (and are all 0 when nothing was minted).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np

from p2pvalue.accounting.graph import (
    EDGE_KINDS,
    EdgeKind,
    FloatArray,
    IndexArray,
    ReputationColumns,
    ReputationGraph,
    ReputationInputError,
    ReputationParams,
    build_graph,
    iterate,
    teleported,
)
from p2pvalue.errors import NotFound

__all__ = [
    "ContributionNode",
    "Explanation",
    "FlowPart",
    "PathPart",
    "ReputationColumns",
    "ReputationGraph",
    "ReputationInput",
    "ReputationInputError",
    "ReputationParams",
    "ReputationResult",
    "build_graph",
    "compute",
    "explain",
    "reputation",
    "vote_weights",
]

Number = int | float | Fraction


@dataclass(frozen=True, slots=True)
class ContributionNode:
    """One accepted contribution as the reputation sees it.

    `value` is its accepted value (the mint); `authors` maps each author's did to their
    share in any unit (parts of 100, basis points, a Fraction); `reviewers` are the dids
    that approved it; `endorsements` are (did, weight) pairs; `artefact` is the artefact or
    project it belongs to, if any.
    """

    id: str
    value: Number
    timestamp_ms: int
    authors: Mapping[str, Number]
    reviewers: Sequence[str] = ()
    endorsements: Sequence[tuple[str, Number]] = ()
    artefact: str | None = None


@dataclass(frozen=True, slots=True)
class ReputationInput:
    """The contributors and contributions of a space, as plain values from the event fold.

    A did that appears in a contribution but not in `contributors` is added. The order of
    either sequence does not matter: `columns` sorts by id, so equal sets of input give
    bit-identical results.
    """

    contributors: Sequence[str]
    contributions: Sequence[ContributionNode]
    now_ms: int | None = None

    def columns(self) -> ReputationColumns:
        """The same input as columns of arrays, in canonical (sorted) order."""
        works = sorted(self.contributions, key=lambda work: work.id)
        ids = [work.id for work in works]
        if len(set(ids)) != len(ids):
            raise ReputationInputError("reputation.duplicate_contribution", "duplicate id")
        people = sorted(set(self.contributors) | _mentioned(works))
        person = {did: i for i, did in enumerate(people)}
        artefacts = sorted({work.artefact for work in works if work.artefact is not None})
        artefact = {name: i for i, name in enumerate(artefacts)}
        authors, reviews, endorsements = _edge_rows(works, person)
        return ReputationColumns(
            contributors=people,
            contributions=ids,
            artefacts=artefacts,
            value=np.array([float(w.value) for w in works], dtype=np.float64),
            timestamp_ms=np.array([w.timestamp_ms for w in works], dtype=np.int64),
            artefact=np.array(
                [-1 if w.artefact is None else artefact[w.artefact] for w in works], np.int64
            ),
            authorship_contribution=_indices(authors, 0),
            authorship_contributor=_indices(authors, 1),
            authorship_share=_numbers(authors, 2),
            review_contribution=_indices(reviews, 0),
            review_contributor=_indices(reviews, 1),
            endorsement_contribution=_indices(endorsements, 0),
            endorsement_contributor=_indices(endorsements, 1),
            endorsement_weight=_numbers(endorsements, 2),
            now_ms=self.now_ms,
        )


Row = tuple[int, int, float]


def _edge_rows(
    works: Sequence[ContributionNode], person: Mapping[str, int]
) -> tuple[list[Row], list[Row], list[Row]]:
    """(contribution, contributor, weight) rows of authorships, reviews and endorsements,
    sorted, so that the order of the input never changes the order of a sum.
    """
    authors: list[Row] = []
    reviews: list[Row] = []
    endorsements: list[Row] = []
    for k, work in enumerate(works):
        authors.extend((k, person[did], float(share)) for did, share in work.authors.items())
        reviews.extend((k, person[did], 1.0) for did in work.reviewers)
        endorsements.extend((k, person[did], float(w)) for did, w in work.endorsements)
    return sorted(authors), sorted(reviews), sorted(endorsements)


def _indices(rows: Sequence[Row], at: int) -> IndexArray:
    return np.array([row[at] for row in rows], dtype=np.int64)


def _numbers(rows: Sequence[Row], at: int) -> FloatArray:
    return np.array([row[at] for row in rows], dtype=np.float64)


def _mentioned(works: Iterable[ContributionNode]) -> set[str]:
    dids: set[str] = set()
    for work in works:
        dids.update(work.authors, work.reviewers, (did for did, _ in work.endorsements))
    return dids


@dataclass(frozen=True, slots=True, eq=False)
class ReputationResult:
    """The reputation of a space.

    `stationary` is the personalised PageRank over all nodes of `graph` (sums to 1, or is
    all zero when nothing was minted); `scores` are the contributors' parts of it divided by
    their total (sum to 1, or all 0). `flow_basis` is the vector of the step before, so that
    `stationary` is exactly one step from it and explanations computed from it add up.
    `converged` is False only if `max_iterations` ran out first.
    """

    graph: ReputationGraph
    stationary: FloatArray
    scores: Mapping[str, float]
    iterations: int
    converged: bool
    flow_basis: FloatArray

    @property
    def contributor_total(self) -> float:
        """The part of the stationary vector that contributors hold."""
        return float(self.stationary[: len(self.graph.columns.contributors)].sum())


def reputation(
    space: ReputationInput | ReputationColumns, params: ReputationParams | None = None
) -> ReputationResult:
    """The reputation of a space given as plain values or as columns."""
    columns = space.columns() if isinstance(space, ReputationInput) else space
    return compute(build_graph(columns, params))


def compute(graph: ReputationGraph) -> ReputationResult:
    """The stationary vector of `graph` and the contributors' scores."""
    vector, stationary, iterations, converged = iterate(graph)
    people = len(graph.columns.contributors)
    held = stationary[:people]
    total = float(held.sum())
    shares = held / total if total > 0 else np.zeros(people)
    return ReputationResult(
        graph=graph,
        stationary=stationary,
        scores=dict(zip(graph.columns.contributors, shares.tolist(), strict=True)),
        iterations=iterations,
        converged=converged,
        flow_basis=vector,
    )


SourceKind = Literal["contributor", "artefact", "seed"]


@dataclass(frozen=True, slots=True)
class PathPart:
    """Where part of a contribution's reputation came from, one hop before the member:
    a contributor (authorship back to their work, or an endorsement), an artefact the
    contribution belongs to, or the seed (`edge == "minting"`, `source is None`).
    `amount` is in the member's score units; `share` is of the member's score.
    """

    source: str | None
    source_kind: SourceKind
    edge: EdgeKind | Literal["minting"]
    amount: float
    share: float


@dataclass(frozen=True, slots=True)
class FlowPart:
    """The reputation a member received from one contribution along one kind of edge,
    with the largest paths that brought it there and the rest (`other_paths`).
    """

    contribution: str
    edge: EdgeKind
    amount: float
    share: float
    paths: tuple[PathPart, ...]
    other_paths: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """A member's score, broken down: `teleport + sum(flow.amount) + other == score`
    (within 1e-9), where `other` gathers the `other_count` flows beyond the largest.
    """

    member: str
    score: float
    teleport: float
    flows: tuple[FlowPart, ...]
    other: float
    other_count: int


def explain(result: ReputationResult, member: str, top: int = 10, paths: int = 3) -> Explanation:
    """The `top` largest flows into `member`'s score by contribution and edge kind, each
    with its `paths` largest sources one hop further.
    """
    graph = result.graph
    node = graph.contributor_index.get(member)
    if node is None:
        raise NotFound("reputation.unknown_member", f"{member} has no reputation here")
    total = result.contributor_total
    if total == 0:
        return Explanation(member, 0.0, 0.0, (), 0.0, 0)
    score = result.scores[member]
    sources, kinds, amounts = _incoming(result, node)
    sources, kinds, amounts = sources[amounts > 0], kinds[amounts > 0], amounts[amounts > 0] / total
    flows = tuple(
        _flow(result, int(source), int(kind), float(amount), score, paths)
        for source, kind, amount in zip(sources[:top], kinds[:top], amounts[:top], strict=True)
    )
    teleport = teleported(graph, result.flow_basis) * float(graph.seed[node]) / total
    rest = amounts[top:]
    return Explanation(member, score, teleport, flows, float(rest.sum()), int(rest.size))


def _flow(
    result: ReputationResult, node: int, kind: int, amount: float, score: float, paths: int
) -> FlowPart:
    graph = result.graph
    sources, kinds, inflows = _incoming(result, node)
    minted = teleported(graph, result.flow_basis) * float(graph.seed[node])
    whole = float(inflows.sum()) + minted
    scale = amount / whole if whole > 0 else 0.0
    parts = [
        PathPart(graph.node_id(int(s)), _source_kind(graph, int(s)), EDGE_KINDS[int(k)],
                 float(f) * scale, _share(float(f) * scale, score))
        for s, k, f in zip(sources, kinds, inflows, strict=True)
        if f > 0
    ]  # fmt: skip
    if minted > 0:
        parts.append(
            PathPart(None, "seed", "minting", minted * scale, _share(minted * scale, score))
        )
    parts.sort(key=lambda part: -part.amount)  # stable: ties keep node order
    kept = tuple(parts[:paths])
    return FlowPart(
        contribution=graph.node_id(node),
        edge=EDGE_KINDS[kind],
        amount=amount,
        share=_share(amount, score),
        paths=kept,
        other_paths=math.fsum(part.amount for part in parts[paths:]),
    )


def _source_kind(graph: ReputationGraph, node: int) -> SourceKind:
    return "artefact" if graph.node_kind(node) == "artefact" else "contributor"


def _share(amount: float, score: float) -> float:
    return amount / score if score > 0 else 0.0


def _incoming(result: ReputationResult, node: int) -> tuple[IndexArray, IndexArray, FloatArray]:
    """Flows into `node` in one step from `flow_basis`, summed per (source, edge kind),
    largest first (ties by source, then kind).
    """
    graph = result.graph
    low, high = int(graph.inflow.indptr[node]), int(graph.inflow.indptr[node + 1])
    sources = graph.inflow.indices[low:high].astype(np.int64)
    chances = graph.inflow.data[low:high]
    flows = (1 - graph.params.teleport) * result.flow_basis[sources] * chances
    keys: IndexArray
    keys, inverse = np.unique(
        sources * len(EDGE_KINDS) + graph.kinds[low:high], return_inverse=True
    )
    summed = np.bincount(inverse, weights=flows, minlength=keys.size).astype(np.float64)
    order = np.lexsort((keys, -summed))
    keys, summed = keys[order], summed[order]
    return keys // len(EDGE_KINDS), keys % len(EDGE_KINDS), summed


def vote_weights(
    result: ReputationResult, members: Iterable[str], cap: float | Fraction | None = None
) -> dict[str, Fraction]:
    """Governance vote weights: the members' scores as exact fractions summing to 1.

    With a `cap` (a fraction of the total, 0 < cap <= 1), no member weighs more than it;
    what the capped members lose goes to the others in proportion to their scores
    (water-filling). When fewer than 1 / cap members hold any reputation the cap cannot
    hold, and those who do share equally. Members without reputation weigh 0; if none of
    the members has any, every weight is 0 and the caller decides what that means.
    """
    scores = {m: Fraction(result.scores.get(m, 0.0)) for m in dict.fromkeys(members)}
    total = sum(scores.values(), Fraction(0))
    if total == 0:
        return dict.fromkeys(scores, Fraction(0))
    weights = {member: score / total for member, score in scores.items()}
    if cap is None:
        return weights
    limit = Fraction(str(cap)) if isinstance(cap, float) else Fraction(cap)
    if not 0 < limit <= 1:
        raise ReputationInputError("reputation.cap", "cap must be in (0, 1]")
    return _capped(weights, limit)


def _capped(weights: dict[str, Fraction], cap: Fraction) -> dict[str, Fraction]:
    fixed: set[str] = set()
    while True:
        free = {member: w for member, w in weights.items() if member not in fixed and w > 0}
        if not free:
            break
        room = 1 - cap * len(fixed)
        free_total = sum(free.values(), Fraction(0))
        scaled = {member: w * room / free_total for member, w in free.items()}
        over = {member for member, w in scaled.items() if w > cap}
        if not over:
            return {m: cap if m in fixed else scaled.get(m, Fraction(0)) for m in weights}
        fixed |= over
    holders = sum(1 for w in weights.values() if w > 0)
    return {m: Fraction(1, holders) if w > 0 else Fraction(0) for m, w in weights.items()}
