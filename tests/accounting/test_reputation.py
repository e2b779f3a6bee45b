"""Explainable graph reputation and vote weights (accounting/reputation.py, graph.py)."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import networkx as nx
import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from p2pvalue.accounting.reputation import (
    ContributionNode,
    Explanation,
    ReputationInput,
    ReputationInputError,
    ReputationParams,
    ReputationResult,
    explain,
    reputation,
    vote_weights,
)
from p2pvalue.errors import NotFound

A, B, C, R = (f"did:key:z{name}" for name in ("Alice", "Bob", "Carol", "Rev"))
DIDS = [f"did:key:z{name}" for name in ("A", "B", "C", "D", "E", "F")]
DAY = 86_400_000
PLAIN = ReputationParams(half_life_ms=None)
AUTHORSHIP_ONLY = ReputationParams(
    authorship_back=0, review=0, endorsement=0, belongs_to=0, artefact_back=0, half_life_ms=None
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def work(
    name: str, value: float, authors: dict[str, Any], ts: int = 0, **more: Any
) -> ContributionNode:
    return ContributionNode(id=name, value=value, timestamp_ms=ts, authors=authors, **more)


def total(explanation: Explanation) -> float:
    return explanation.teleport + sum(f.amount for f in explanation.flows) + explanation.other


# --- a reference built with networkx from the rules in graph.py's docstring -----------------------

Node = tuple[str, str]


def seed_of(space: ReputationInput, params: ReputationParams) -> dict[Node, float]:
    works = space.contributions
    now = (
        space.now_ms
        if space.now_ms is not None
        else max((w.timestamp_ms for w in works), default=0)
    )
    half_life = params.half_life_ms
    return {
        ("work", w.id): float(w.value)
        * (2 ** (-max(now - w.timestamp_ms, 0) / half_life) if half_life else 1.0)
        for w in works
    }


def reference_graph(space: ReputationInput, params: ReputationParams) -> Any:
    """A DiGraph whose edge weights follow the documented rules, written independently."""
    seed = seed_of(space, params)
    raw: dict[tuple[Node, str], dict[Node, float]] = defaultdict(lambda: defaultdict(float))
    for w in space.contributions:
        node, shares = ("work", w.id), sum(Fraction(s) for s in w.authors.values())
        for did, share in w.authors.items():
            raw[node, "authorship"][("person", did)] += float(Fraction(share) / shares)
            portion = float(Fraction(share) / shares) * seed[node]
            raw[("person", did), "authorship_back"][node] += portion
        for did in w.reviewers:
            raw[node, "review"][("person", did)] += 1
        for did, weight in w.endorsements:
            raw[("person", did), "endorsement"][node] += float(weight)
        if w.artefact is not None:
            raw[node, "belongs_to"][("artefact", w.artefact)] += 1
            raw[("artefact", w.artefact), "artefact_back"][node] += seed[node]
    graph = nx.DiGraph()
    graph.add_nodes_from(("person", did) for did in space.contributors)
    graph.add_nodes_from(seed)
    for (source, kind), targets in raw.items():
        whole = sum(targets.values())
        for target, amount in targets.items():
            graph.add_node(target)
            weight = getattr(params, kind) * amount / whole if whole > 0 else 0.0
            if weight > 0:
                old = graph.get_edge_data(source, target, {"weight": 0.0})["weight"]
                graph.add_edge(source, target, weight=old + weight)
            else:
                graph.add_node(source)
    return graph


def networkx_ranks(space: ReputationInput, params: ReputationParams) -> dict[Node, float]:
    ranks: dict[Node, float] = nx.pagerank(
        reference_graph(space, params), alpha=1 - params.teleport,
        personalization=seed_of(space, params), weight="weight", tol=1e-14, max_iter=10_000,
    )  # fmt: skip
    return ranks


def our_ranks(result: ReputationResult) -> dict[Node, float]:
    graph, kinds = result.graph, {"contributor": "person", "contribution": "work"}
    return {
        (kinds.get(graph.node_kind(i), "artefact"), graph.node_id(i)): float(result.stationary[i])
        for i in range(graph.size)
    }


@st.composite
def spaces(draw: st.DrawFn, artefacts: bool = True) -> ReputationInput:
    """Small spaces; authors and reviewers may be missing from `contributors`."""
    people = draw(st.lists(st.sampled_from(DIDS), min_size=1, max_size=6, unique=True))
    did = st.sampled_from(DIDS)
    works = [
        work(
            f"w{k}", draw(st.integers(0, 50)),
            draw(st.dictionaries(did, st.integers(1, 100), min_size=1, max_size=3)),
            ts=draw(st.integers(0, 400 * DAY)),
            reviewers=tuple(draw(st.lists(did, max_size=2))),
            endorsements=tuple(draw(st.lists(st.tuples(did, st.integers(0, 3)), max_size=2))),
            artefact=draw(st.sampled_from([None, "p1", "p2"] if artefacts else [None])),
        )
        for k in range(draw(st.integers(0, 8)))
    ]  # fmt: skip
    return ReputationInput(people, works, now_ms=draw(st.none() | st.integers(0, 800 * DAY)))


def random_space(seed: int, people: int = 30, works: int = 300) -> ReputationInput:
    rng = random.Random(seed)
    dids = [f"did:key:zP{n}" for n in range(people)]
    return ReputationInput(dids, [
        work(
            f"c{k}", rng.randint(0, 40), {d: rng.randint(1, 9) for d in rng.sample(dids, 2)},
            ts=rng.randint(0, 900 * DAY), reviewers=tuple(rng.sample(dids, rng.randint(0, 2))),
            endorsements=tuple((rng.choice(dids), rng.random()) for _ in range(rng.randint(0, 1))),
            artefact=rng.choice([None, "x", "y", "z"]),
        )
        for k in range(works)
    ])  # fmt: skip


def assert_matches_networkx(space: ReputationInput, params: ReputationParams) -> None:
    ours, theirs = our_ranks(reputation(space, params)), networkx_ranks(space, params)
    assert ours.keys() == theirs.keys()
    assert max(abs(ours[node] - theirs[node]) for node in ours) < 1e-9
    people = [node for node in ours if node[0] == "person"]
    held, nx_held = sum(ours[p] for p in people), sum(theirs[p] for p in people)
    assert max(abs(ours[p] / held - theirs[p] / nx_held) for p in people) < 1e-6


# --- the match with networkx ----------------------------------------------------------------------


@SETTINGS
@given(spaces())
def test_plain_scores_match_networkx_pagerank(space: ReputationInput) -> None:
    assume(sum(seed_of(space, PLAIN).values()) > 0)
    assert_matches_networkx(space, PLAIN)


@SETTINGS
@given(spaces())
def test_recency_weighted_scores_match_networkx_with_the_same_seed(space: ReputationInput) -> None:
    assume(sum(seed_of(space, ReputationParams()).values()) > 0)
    assert_matches_networkx(space, ReputationParams())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_larger_random_spaces_match_networkx(seed: int) -> None:
    assert_matches_networkx(random_space(seed), PLAIN)
    assert_matches_networkx(random_space(seed), ReputationParams(review=1.0, teleport=0.3))


# --- small spaces checked by hand -----------------------------------------------------------------


def test_higher_value_earns_a_proportionally_higher_score() -> None:
    space = ReputationInput([A, B], [work("a", 3, {A: 100}), work("b", 1, {B: 100})])
    for params in (AUTHORSHIP_ONLY, ReputationParams()):
        scores = reputation(space, params).scores
        assert scores[A] == pytest.approx(0.75, abs=1e-9)
        assert scores[B] == pytest.approx(0.25, abs=1e-9)


def test_co_authors_split_by_their_shares() -> None:
    space = ReputationInput([A, B], [work("a", 10, {A: 60, B: 40})])
    scores = reputation(space).scores
    assert scores[A] == pytest.approx(0.6, abs=1e-9)
    assert scores[B] == pytest.approx(0.4, abs=1e-9)


def test_shares_in_any_unit_give_the_same_scores() -> None:
    percent = ReputationInput([A, B], [work("a", 1, {A: 75, B: 25}), work("b", 2, {B: 100})])
    other = ReputationInput(
        [A, B], [work("a", 1, {A: Fraction(3, 4), B: Fraction(1, 4)}), work("b", 2, {B: 10_000})]
    )
    assert reputation(percent).scores == pytest.approx(reputation(other).scores, abs=1e-12)


def test_a_reviewer_gets_the_review_part_of_what_leaves_the_contribution() -> None:
    space = ReputationInput([A, R], [work("a", 5, {A: 100}, reviewers=(R,))])
    result = reputation(space)
    assert result.scores[R] == pytest.approx(0.25 / 1.25, abs=1e-9)
    assert result.scores[A] == pytest.approx(1 / 1.25, abs=1e-9)
    (flow,) = explain(result, R).flows
    assert (flow.contribution, flow.edge) == ("a", "review")
    assert flow.share == pytest.approx(1.0)


def test_credit_reaches_a_co_author_through_the_shared_contribution() -> None:
    space = ReputationInput([A, B], [work("solo", 9, {A: 100}), work("joint", 1, {A: 50, B: 50})])
    result = reputation(space)
    (joint,) = explain(result, B).flows
    assert joint.contribution == "joint"
    assert [(p.source, p.edge) for p in joint.paths] == [(A, "authorship"), (B, "authorship"),
                                                         (None, "minting")]  # fmt: skip
    assert joint.paths[0].amount > joint.paths[1].amount


def test_authorship_alone_moves_no_credit_beyond_the_value_shares() -> None:
    # Back edges are weighted by seed, so splitting or sharing work neither gains nor loses:
    # only reviews, endorsements and uneven artefact flows move credit.
    space = ReputationInput(
        [A, B, C], [work("solo", 9, {A: 100}), work("joint", 1, {A: 50, B: 50}),
                    work("many", 2, {A: 10, B: 30, C: 60})],
    )  # fmt: skip
    scores = reputation(space, PLAIN).scores
    assert scores == pytest.approx({A: 9.7 / 12, B: 1.1 / 12, C: 1.2 / 12}, abs=1e-9)


def test_an_endorsement_moves_credit_to_the_endorsed_work() -> None:
    works = [work("a", 1, {A: 100}), work("b", 1, {B: 100}), work("r", 4, {R: 100})]
    before = reputation(ReputationInput([A, B, R], works)).scores
    works[1] = work("b", 1, {B: 100}, endorsements=((R, 1),))
    after = reputation(ReputationInput([A, B, R], works))
    assert after.scores[B] > before[B] and after.scores[R] < before[R]
    assert after.scores[A] == pytest.approx(before[A])
    (flow,) = explain(after, B).flows
    assert (R, "contributor", "endorsement") in {
        (p.source, p.source_kind, p.edge) for p in flow.paths
    }


def test_an_artefact_passes_credit_between_its_contributions() -> None:
    works = [work("a", 9, {A: 100}, artefact="wiki"), work("b", 1, {B: 100}, artefact="wiki")]
    result = reputation(ReputationInput([A, B], works))
    (flow,) = explain(result, B).flows
    via_wiki = [p for p in flow.paths if p.source == "wiki"]
    assert [(p.source_kind, p.edge) for p in via_wiki] == [("artefact", "belongs_to")]
    assert via_wiki[0].amount > 0


def test_a_contribution_one_half_life_older_mints_half() -> None:
    works = [work("new", 1, {A: 100}, ts=400 * DAY), work("old", 1, {B: 100}, ts=220 * DAY)]
    scores = reputation(ReputationInput([A, B], works)).scores
    assert scores[A] == pytest.approx(2 / 3, abs=1e-9)
    assert reputation(ReputationInput([A, B], works), PLAIN).scores[A] == pytest.approx(0.5)


# --- properties -----------------------------------------------------------------------------------


@SETTINGS
@given(spaces())
def test_scores_are_non_negative_and_sum_to_one(space: ReputationInput) -> None:
    result = reputation(space)
    scores = list(result.scores.values())
    assert all(score >= 0 for score in scores)
    assert result.converged
    if result.graph.minted > 0:
        assert math.fsum(scores) == pytest.approx(1.0, abs=1e-12)
        assert float(result.stationary.sum()) == pytest.approx(1.0, abs=1e-9)
    else:
        assert set(scores) <= {0.0}


@SETTINGS
@given(spaces(), st.integers(1, 4), st.integers(0, 3))
def test_explanations_add_up_to_the_score(space: ReputationInput, top: int, paths: int) -> None:
    result = reputation(space)
    for member, score in result.scores.items():
        explanation = explain(result, member, top=top, paths=paths)
        assert explanation.score == score
        assert total(explanation) == pytest.approx(score, abs=1e-9)
        assert len(explanation.flows) <= top
        amounts = [flow.amount for flow in explanation.flows]
        assert amounts == sorted(amounts, reverse=True)
        for flow in explanation.flows:
            assert len(flow.paths) <= paths
            parts = sum(path.amount for path in flow.paths) + flow.other_paths
            assert parts == pytest.approx(flow.amount, abs=1e-12)
            assert flow.share == pytest.approx(flow.amount / score)


@SETTINGS
@given(spaces(), st.randoms(use_true_random=False))
def test_the_order_of_the_input_does_not_change_a_bit(
    space: ReputationInput, rng: random.Random
) -> None:
    def shuffled(items: Sequence[Any]) -> list[Any]:
        return rng.sample(list(items), len(items))

    again = ReputationInput(
        shuffled(space.contributors),
        [
            ContributionNode(
                w.id, w.value, w.timestamp_ms, dict(shuffled(list(w.authors.items()))),
                tuple(shuffled(w.reviewers)), tuple(shuffled(w.endorsements)), w.artefact,
            )
            for w in shuffled(space.contributions)
        ],
        space.now_ms,
    )  # fmt: skip
    first, second = reputation(space), reputation(again)
    assert first.scores == second.scores
    assert np.array_equal(first.stationary, second.stationary)


def test_the_same_input_gives_identical_results() -> None:
    space = random_space(5)
    first, second = reputation(space), reputation(space)
    assert first.scores == second.scores and first.iterations == second.iterations
    assert np.array_equal(first.stationary, second.stationary)
    assert explain(first, "did:key:zP3") == explain(second, "did:key:zP3")


def test_columns_are_the_same_input() -> None:
    space = random_space(6, works=50)
    assert reputation(space.columns()).scores == reputation(space).scores


# --- empty and degenerate spaces ------------------------------------------------------------------


def test_an_empty_space_has_no_scores() -> None:
    result = reputation(ReputationInput([], []))
    assert (result.scores, result.stationary.size, result.iterations) == ({}, 0, 0)
    assert result.converged
    assert vote_weights(result, [A]) == {A: Fraction(0)}


def test_members_without_minted_value_all_score_zero() -> None:
    result = reputation(ReputationInput([A, B], [work("a", 0, {A: 100})]))
    assert result.scores == {A: 0.0, B: 0.0}
    assert explain(result, A) == Explanation(A, 0.0, 0.0, (), 0.0, 0)
    assert vote_weights(result, [A, B]) == {A: Fraction(0), B: Fraction(0)}


def test_explanations_serialise_for_the_api() -> None:
    result = reputation(random_space(7, works=40))
    body = orjson.loads(orjson.dumps(explain(result, "did:key:zP1", top=2, paths=2)))
    assert set(body) == {"member", "score", "teleport", "flows", "other", "other_count"}
    assert set(body["flows"][0]) == {
        "contribution", "edge", "amount", "share", "paths", "other_paths",
    }  # fmt: skip
    assert body["flows"][0]["paths"][0]["source_kind"] in {"contributor", "artefact", "seed"}


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("works", "code"),
    [
        ([work("a", -1, {A: 100})], "reputation.value_range"),
        ([work("a", math.nan, {A: 100})], "reputation.value_range"),
        ([work("a", 1, {})], "reputation.no_author"),
        ([work("a", 1, {A: 0})], "reputation.no_author"),
        ([work("a", 1, {A: -5, B: 10})], "reputation.edge_weight"),
        ([work("a", 1, {A: 1}, endorsements=((B, -1),))], "reputation.edge_weight"),
        ([work("a", 1, {A: 1}), work("a", 2, {B: 1})], "reputation.duplicate_contribution"),
    ],
)
def test_bad_input_is_refused_precisely(works: list[ContributionNode], code: str) -> None:
    with pytest.raises(ReputationInputError) as refused:
        reputation(ReputationInput([A, B], works))
    assert refused.value.code == code


@pytest.mark.parametrize(
    "knobs", [{"teleport": 0.0}, {"teleport": 1.0}, {"review": -1.0}, {"half_life_ms": 0}]
)
def test_bad_params_are_refused(knobs: dict[str, Any]) -> None:
    with pytest.raises(ReputationInputError) as refused:
        ReputationParams(**knobs)
    assert refused.value.code == "reputation.params"


def test_explaining_a_stranger_is_not_found() -> None:
    result = reputation(ReputationInput([A], [work("a", 1, {A: 100})]))
    with pytest.raises(NotFound) as missing:
        explain(result, B)
    assert missing.value.code == "reputation.unknown_member"


# --- vote weights ---------------------------------------------------------------------------------


def three_members() -> ReputationResult:
    works = [work("a", 6, {A: 100}), work("b", 3, {B: 100}), work("c", 1, {C: 100})]
    return reputation(ReputationInput([A, B, C], works))


def test_vote_weights_are_exact_fractions_summing_to_one() -> None:
    weights = vote_weights(three_members(), [A, B, C])
    assert sum(weights.values()) == 1
    assert float(weights[A]) == pytest.approx(0.6) and float(weights[C]) == pytest.approx(0.1)


def test_vote_weights_of_some_members_are_renormalised() -> None:
    weights = vote_weights(three_members(), [B, C, B, "did:key:zNobody"])
    assert list(weights) == [B, C, "did:key:zNobody"]
    assert weights["did:key:zNobody"] == 0 and sum(weights.values()) == 1
    assert float(weights[B]) == pytest.approx(0.75)


def test_a_cap_passes_the_excess_on_until_no_one_is_above_it() -> None:
    weights = vote_weights(three_members(), [A, B, C], cap=0.4)
    assert weights == {A: Fraction(2, 5), B: Fraction(2, 5), C: Fraction(1, 5)}
    assert vote_weights(three_members(), [A, B, C], cap=Fraction(1, 2))[A] == Fraction(1, 2)


def test_a_cap_too_small_for_the_members_leaves_equal_weights() -> None:
    weights = vote_weights(three_members(), [A, B], cap=0.3)
    assert weights == {A: Fraction(1, 2), B: Fraction(1, 2)}


@pytest.mark.parametrize("cap", [0.0, -0.1, 1.5])
def test_a_cap_outside_zero_to_one_is_refused(cap: float) -> None:
    with pytest.raises(ReputationInputError):
        vote_weights(three_members(), [A, B, C], cap=cap)
