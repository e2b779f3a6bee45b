"""The collaboration network: members linked when they worked on the same project, task,
document, thread or claim (a claim links its contributors and the people who reviewed it),
and each member's place in its core or periphery.

An edge's weight is how many artefacts the two share. The core is the innermost k-core: the
largest set in which everyone is linked to at least k others of the set, for the greatest
k that has one (`core_numbers`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import scipy.sparse as sparse

from p2pvalue.accounting.model import Claim
from p2pvalue.insight.timeline import Granularity, period_of

if TYPE_CHECKING:
    import igraph


CORE, PERIPHERY = "core", "periphery"
IntArray = np.ndarray[Any, np.dtype[np.int64]]


class Touch(NamedTuple):
    """A member worked on an artefact ("task:<id>", "thread:<id>", …) by the event `event`
    (a tuple: a space holds one or more per event)."""

    member: str
    artefact: str
    event: str


@dataclass(frozen=True, eq=False)
class Network:
    """The collaboration graph: `people` (sorted) and weighted edges between their indices,
    kept as arrays (`first` < `second`, in order of `first` then `second`)."""

    people: tuple[str, ...]
    first: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    second: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    weight: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))

    @cached_property
    def edges(self) -> tuple[tuple[int, int, int], ...]:
        """Each edge as (first, second, weight)."""
        found = zip(self.first.tolist(), self.second.tolist(), self.weight.tolist(), strict=True)
        return tuple(found)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Network):
            return NotImplemented
        return self.people == other.people and all(
            np.array_equal(a, b)
            for a, b in ((self.first, other.first), (self.second, other.second),
                         (self.weight, other.weight))
        )  # fmt: skip

    __hash__ = object.__hash__

    def graph(self) -> igraph.Graph:
        import igraph  # loaded with the first chart, not at start

        pairs = np.column_stack((self.first, self.second)).tolist()
        found = igraph.Graph(n=len(self.people), edges=pairs)
        found.vs["name"] = list(self.people)
        found.es["weight"] = self.weight.tolist()
        return found

    def coreness(self) -> dict[str, int]:
        """Each member's core number: the greatest k of a k-core that holds them."""
        numbers = core_numbers(len(self.people), self.first, self.second)
        return dict(zip(self.people, numbers.tolist(), strict=True))

    def places(self) -> dict[str, str]:
        """Each member's place: in the innermost k-core, or on the periphery."""
        numbers = self.coreness()
        top = max(numbers.values(), default=0)
        return {m: CORE if top > 0 and k == top else PERIPHERY for m, k in numbers.items()}


def core_numbers(count: int, first: IntArray, second: IntArray) -> IntArray:
    """The core number of each of `count` vertices of the graph of edges (first, second):
    peeled a level k at a time, every vertex of degree at most k leaving at once (the
    (k+1)-core is what is left whatever the order they leave in), with array operations
    rather than a Python step per vertex or edge."""
    ends = np.concatenate((first, second))
    adjacency = sparse.csr_array(
        (np.ones(len(ends), np.int8), (ends, np.concatenate((second, first)))), shape=(count, count)
    )  # fmt: skip
    starts = adjacency.indptr.astype(np.int64)
    neighbours = adjacency.indices
    degree = np.diff(starts).astype(np.int64)
    core = np.zeros(count, np.int64)
    alive = np.ones(count, bool)
    level, left = 0, count
    while left:
        level = max(level, int(degree[alive].min()))
        leaving = np.flatnonzero(alive & (degree <= level))
        while len(leaving):
            core[leaving] = level
            alive[leaving] = False
            left -= len(leaving)
            degree -= np.bincount(neighbours[_ranges(starts, leaving)], minlength=count)
            leaving = np.flatnonzero(alive & (degree <= level))
    return core


def _ranges(starts: IntArray, rows: IntArray) -> IntArray:
    """The positions of `rows`' entries in a CSR matrix whose rows start at `starts`."""
    begin, lengths = starts[rows], starts[rows + 1] - starts[rows]
    shift: IntArray = np.repeat(begin - np.cumsum(lengths) + lengths, lengths)
    return shift + np.arange(int(lengths.sum()), dtype=np.int64)


def touches_of(event: str, type: str, author: str, content: Mapping[str, Any]) -> list[Touch]:
    """The artefacts a collaboration event works on, as touches by its author (and by the
    members a project names, and the authors a document's snapshot credits); none when its
    content was erased."""
    people = [author, *(content.get("members") or ()), *(content.get("assignees") or ())]
    people += sorted(content.get("authors") or ()) if type == "doc.snapshot" else []
    artefacts = [a for a in _artefacts(event, type, content) if not a.endswith(":None")]
    return [Touch(p, a, event) for a in artefacts for p in dict.fromkeys(people)]


def _artefacts(event: str, type: str, content: Mapping[str, Any]) -> list[str]:
    if type in ("project.create", "task.create", "thread.create", "doc.create"):
        own = [f"{type.split('.')[0]}:{event}"]
        return own + ([f"project:{content['project']}"] if content.get("project") else [])
    if type == "project.update":
        return [f"project:{content.get('project')}"]
    if type.startswith("task."):
        return [f"task:{content.get('task')}"]
    if type == "thread.reply":
        return [f"thread:{content.get('thread')}"]
    if type in ("thread.edit", "thread.react"):
        return [f"post:{content.get('post')}"]
    if type == "doc.snapshot":
        return [f"doc:{content.get('doc')}"]
    return []


def claim_touches(claims: Iterable[Claim]) -> list[Touch]:
    """A claim links its contributors with its reviewers, and with its project's workers."""
    found = []
    for claim in claims:
        artefacts = [f"claim:{claim.id}"] + ([f"project:{claim.project}"] if claim.project else [])
        for artefact in artefacts:
            found += [Touch(member, artefact, claim.id) for member in claim.shares]
        found += [Touch(r.reviewer, f"claim:{claim.id}", r.event) for r in claim.reviews.values()]
    return found


def resolve_posts(touches: Sequence[Touch]) -> list[Touch]:
    """Touches of a post (an edit, a reaction) as touches of the thread the post is in."""
    thread_of = {t.event: t.artefact for t in touches if t.artefact.startswith("thread:")}
    found = []
    for touch in touches:
        if touch.artefact.startswith("post:"):
            thread = thread_of.get(touch.artefact[5:])
            if thread is None:
                continue
            touch = Touch(touch.member, thread, touch.event)
        found.append(touch)
    return found


def network(touches: Iterable[Touch], people: Iterable[str] = ()) -> Network:
    """The graph of who shares artefacts with whom (also listing `people` who share none)."""
    member_of: dict[str, int] = {}
    artefact_of: dict[str, int] = {}
    codes = [
        member_of.setdefault(touch[0], len(member_of)) << 32
        | artefact_of.setdefault(touch[1], len(artefact_of))
        for touch in touches
    ]  # each (member, artefact) pair as one integer, so that numpy drops the repeats
    names = sorted(member_of.keys() | set(people))
    if not codes:
        return Network(tuple(names))
    index = {name: i for i, name in enumerate(names)}
    sorted_index = np.fromiter(map(index.__getitem__, member_of), np.int64, len(member_of))
    pairs = np.unique(np.fromiter(codes, np.int64, len(codes)))
    rows, cols = sorted_index[pairs >> 32], pairs & 0xFFFFFFFF
    shape = (len(names), len(artefact_of))
    incidence = sparse.csr_array((np.ones(len(pairs), dtype=np.int64), (rows, cols)), shape=shape)
    return _shared(tuple(names), incidence)


def places_over_time(
    touches: Sequence[Touch], times: Mapping[str, int], granularity: Granularity
) -> dict[str, dict[str, str]]:
    """Per period, each member who worked in it and their place in that period's network."""
    by_period: dict[str, list[Touch]] = {}
    for touch in touches:
        at = times.get(touch.event)
        if at is not None:
            by_period.setdefault(period_of(at, granularity), []).append(touch)
    return {period: network(found).places() for period, found in sorted(by_period.items())}


class Incidence:
    """Who worked on which artefact, counted touch by touch so that touches can be added and
    taken away (`change`) and the network and each month's places read again without going
    over every touch: what a space's health keeps between two reads.

    Each (member, artefact) pair is one integer, kept with how many touches make it, overall
    and per period; a post's touches count on the thread it is in (`resolve_posts`)."""

    def __init__(self, granularity: Granularity = "month") -> None:
        self._granularity = granularity
        self._member_of: dict[str, int] = {}
        self._artefact_of: dict[str, int] = {}
        self._thread_of: dict[str, str] = {}
        self._counts: dict[int, int] = {}
        self._periods: dict[str, dict[int, int]] = {}
        self._places: dict[str, dict[str, str]] = {}  # per period, while unchanged

    def change(self, touches: Iterable[Touch], times: Mapping[str, int], step: int) -> None:
        """Count `touches` in (step 1, in log order) or out (step -1)."""
        for touch in touches:
            member, artefact, event = touch
            if artefact.startswith("thread:"):
                self._thread_of[event] = artefact
            elif artefact.startswith("post:"):
                thread = self._thread_of.get(artefact[5:])
                if thread is None:
                    continue
                artefact = thread
            code = self._member_of.setdefault(member, len(self._member_of)) << 32 | (
                self._artefact_of.setdefault(artefact, len(self._artefact_of))
            )
            _count(self._counts, code, step)
            at = times.get(event)
            if at is not None:
                period = period_of(at, self._granularity)
                _count(self._periods.setdefault(period, {}), code, step)
                self._places.pop(period, None)

    def network(self, people: Iterable[str] = ()) -> Network:
        """The network of the touches counted (see `network`)."""
        return self._network(self._counts.keys(), people)

    def places_over_time(self) -> dict[str, dict[str, str]]:
        """As `places_over_time` gives them, each period's measured again only if changed."""
        for period, counted in self._periods.items():
            if period not in self._places:
                self._places[period] = self._network(counted.keys()).places()
        return {p: self._places[p] for p in sorted(self._periods) if self._periods[p]}

    def _network(self, codes: Iterable[int], people: Iterable[str] = ()) -> Network:
        pairs = np.fromiter(codes, np.int64)
        members = np.unique(pairs >> 32)
        names_of = list(self._member_of)
        worked = [names_of[i] for i in members.tolist()]
        names = sorted(set(worked) | set(people))
        if not len(pairs):
            return Network(tuple(names))
        index = {name: i for i, name in enumerate(names)}
        to_sorted = np.full(len(names_of), -1, np.int64)
        to_sorted[members] = np.fromiter(map(index.__getitem__, worked), np.int64, len(worked))
        rows, cols = to_sorted[pairs >> 32], pairs & 0xFFFFFFFF
        shape = (len(names), len(self._artefact_of))
        ones = np.ones(len(pairs), dtype=np.int64)
        incidence = sparse.csr_array((ones, (rows, cols)), shape=shape)
        return _shared(tuple(names), incidence)


def _shared(people: tuple[str, ...], incidence: sparse.csr_array) -> Network:
    """The network of `people` linked by the artefacts they share (`incidence`: person by
    artefact)."""
    shared = sparse.triu(incidence @ incidence.T, k=1, format="csr")
    shared.sort_indices()  # so that the same graph gives the same arrays
    rows = np.repeat(np.arange(len(people), dtype=np.int64), np.diff(shared.indptr))
    return Network(people, rows, shared.indices.astype(np.int64), shared.data.astype(np.int64))


def _count(counts: dict[int, int], code: int, step: int) -> None:
    left = counts.get(code, 0) + step
    if left:
        counts[code] = left
    else:
        del counts[code]
