"""The collaboration network and its core, checked against networkx (an independent
computation) and against a small graph worked out by hand."""

from __future__ import annotations

import random
from xml.etree import ElementTree

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from p2pvalue.insight.network import (
    CORE,
    PERIPHERY,
    Incidence,
    Touch,
    network,
    places_over_time,
    resolve_posts,
    touches_of,
)
from p2pvalue.insight.research import graphml, pseudonym, space_secret


def by_networkx(touches: list[Touch]) -> nx.Graph:
    """Who shares an artefact with whom, the plain way: a bipartite graph projected."""
    bipartite = nx.Graph()
    for t in touches:
        bipartite.add_edge(("m", t.member), ("a", t.artefact))
    people = {n for n in bipartite if n[0] == "m"}
    if not people:
        return nx.Graph()
    projected = nx.bipartite.weighted_projected_graph(bipartite, people)
    return nx.relabel_nodes(projected, {n: n[1] for n in projected})


# A triangle of a, b, c on task 1 (b and c also on thread 2), and d hanging off c by doc 3.
HAND = [Touch(m, "task:1", "e1") for m in "abc"] + [
    Touch("b", "thread:2", "e2"), Touch("c", "thread:2", "e3"),
    Touch("c", "doc:3", "e4"), Touch("d", "doc:3", "e5"),
]  # fmt: skip


def test_a_small_network_by_hand() -> None:
    found = network(HAND, people=["e"])
    assert found.people == ("a", "b", "c", "d", "e")
    weights = {(found.people[x], found.people[y]): w for x, y, w in found.edges}
    assert weights == {("a", "b"): 1, ("a", "c"): 1, ("b", "c"): 2, ("c", "d"): 1}
    assert found.coreness() == {"a": 2, "b": 2, "c": 2, "d": 1, "e": 0}
    assert found.places() == {"a": CORE, "b": CORE, "c": CORE, "d": PERIPHERY, "e": PERIPHERY}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 14), st.integers(0, 9)), max_size=60))
def test_edges_and_core_numbers_agree_with_networkx(pairs: list[tuple[int, int]]) -> None:
    touches = [Touch(f"m{m}", f"task:{a}", f"e{i}") for i, (m, a) in enumerate(pairs)]
    found = network(touches)
    expected = by_networkx(touches)
    edges = {frozenset((found.people[x], found.people[y])): w for x, y, w in found.edges}
    assert edges == {frozenset((x, y)): d["weight"] for x, y, d in expected.edges(data=True)}
    assert found.coreness() == nx.core_number(expected)
    if expected.number_of_edges():  # without links there is no core, only a periphery
        innermost = set(nx.k_core(expected).nodes)
        assert {m for m, place in found.places().items() if place == CORE} == innermost


def test_collaboration_events_touch_their_artefacts() -> None:
    created = touches_of("t1", "task.create", "ann", {"title": "x", "project": "p1"})
    assert {(t.member, t.artefact) for t in created} == {("ann", "task:t1"), ("ann", "project:p1")}
    assigned = touches_of("e2", "task.assign", "ann", {"task": "t1", "assignees": ["bo"]})
    assert {(t.member, t.artefact) for t in assigned} == {("ann", "task:t1"), ("bo", "task:t1")}
    snapshot = {"doc": "d1", "authors": {"cy": 3}, "state": "s", "bytes": 1, "units": 1}
    assert {t.member for t in touches_of("e3", "doc.snapshot", "ann", snapshot)} == {"ann", "cy"}
    assert touches_of("e4", "thread.reply", "ann", {}) == []  # its content was erased
    posts = [*touches_of("th", "thread.create", "ann", {}),
             *touches_of("r1", "thread.reply", "bo", {"thread": "th"}),
             *touches_of("x", "thread.react", "cy", {"post": "r1"})]  # fmt: skip
    assert {(t.member, t.artefact) for t in resolve_posts(posts)} == {
        ("ann", "thread:th"), ("bo", "thread:th"), ("cy", "thread:th")}  # fmt: skip


def test_places_over_time_use_each_period_s_own_network() -> None:
    day = 86_400_000
    times = {"e1": 0, "e2": 0, "e3": 0, "e4": 40 * day, "e5": 40 * day}
    over_time = places_over_time(HAND, times, "month")
    assert over_time["1970-01-01"] == {"a": CORE, "b": CORE, "c": CORE}
    assert over_time["1970-02-01"] == {"c": CORE, "d": CORE}


def test_the_graphml_export_names_pseudonyms_only() -> None:
    secret = space_secret(bytes(range(32)), "space-1")
    found = network(HAND)
    text = graphml(found, found.places(), secret)
    assert "did:" not in text and all(f">{m}<" not in text for m in "abcd")
    parsed = nx.parse_graphml(text)
    names = {data["name"] for _, data in parsed.nodes(data=True)}
    assert names == {pseudonym(secret, m) for m in "abcd"}
    assert parsed.number_of_edges() == 4
    keys = {k.get("attr.name") for k in ElementTree.fromstring(text).iter()
            if k.tag.endswith("key")}  # fmt: skip
    assert {"coreness", "place", "weight"} <= keys


def test_pseudonyms_are_stable_and_keyed_by_the_space() -> None:
    seed = random.Random(1).randbytes(32)
    one, other = space_secret(seed, "space-1"), space_secret(seed, "space-2")
    did = "did:key:z6MkExample"
    assert pseudonym(one, did) == pseudonym(space_secret(seed, "space-1"), did)
    assert pseudonym(one, did) != pseudonym(other, did)
    assert pseudonym(one, did) != pseudonym(space_secret(bytes(32), "space-1"), did)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 5), st.integers(0, 2)), max_size=50))
def test_places_over_time_agree_with_networkx(found: list[tuple[int, int, int]]) -> None:
    """Each member's place in each month is their place in that month's k-cores as
    networkx finds them: in the innermost one (if anyone is linked), else the periphery."""
    day = 86_400_000
    touches = [Touch(f"m{m}", f"task:{a}", f"e{i}") for i, (m, a, _) in enumerate(found)]
    times = {f"e{i}": month * 31 * day for i, (_, _, month) in enumerate(found)}
    over_time = places_over_time(touches, times, "month")
    for month in range(3):
        period = f"1970-{1 + month:02d}-01"
        mine = [t for t, (_, _, m) in zip(touches, found, strict=True) if m == month]
        if not mine:
            assert period not in over_time
            continue
        graph = by_networkx(mine)
        core = set(nx.k_core(graph).nodes) if graph.number_of_edges() else set()
        expected = {m: CORE if m in core else PERIPHERY for m in {t.member for t in mine}}
        assert over_time[period] == expected


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 5), st.integers(0, 2)), max_size=50),
    st.integers(0, 50),
)
def test_touches_counted_in_and_out_give_the_network_of_what_remains(
    found: list[tuple[int, int, int]], cut: int
) -> None:
    day = 86_400_000
    touches = [Touch(f"m{m}", f"task:{a}", f"e{i}") for i, (m, a, _) in enumerate(found)]
    times = {f"e{i}": month * 31 * day for i, (_, _, month) in enumerate(found)}
    kept = Incidence()
    kept.change(touches, times, 1)
    kept.places_over_time()  # measured once, then changed
    kept.change(touches[cut:], times, -1)
    remaining = touches[:cut]
    assert kept.network(["m0"]) == network(remaining, ["m0"])
    assert kept.places_over_time() == places_over_time(remaining, times, "month")
