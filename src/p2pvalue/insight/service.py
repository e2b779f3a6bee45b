"""The node's side of insight: a space's health read from its log, its ledger and its
proposals, kept until the log's version changes, and the research exports.

The measures themselves are pure (`metrics`, `flows`, `network`); this module gathers their
inputs from the node and caches the result per space and log version.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

from p2pvalue import collection
from p2pvalue.accounting.model import Ledger
from p2pvalue.accounting.service import Value
from p2pvalue.domain import Wiring
from p2pvalue.errors import Forbidden, NotFound
from p2pvalue.events.log import SpaceLog
from p2pvalue.governance.proposals import proposals_of
from p2pvalue.insight import flows, metrics, research
from p2pvalue.insight.network import Incidence, Network, Touch, claim_touches
from p2pvalue.insight.state import Contributions, Folded, Records
from p2pvalue.insight.timeline import Contribution, EventTimes
from p2pvalue.insight.values import reputation_over_time, value_over_time

T = TypeVar("T")
KEEP_MADE = 64  # values over time or charts kept per space while its log is unchanged


@dataclass(frozen=True)
class Health:
    """A space's health at one version of its log (see docs/insight.md for each measure)."""

    space: str
    version: int
    made: tuple[Contribution, ...]
    times: Mapping[str, int]
    activity: Mapping[str, list[metrics.PeriodActivity]]  # by granularity
    cohorts: Mapping[str, list[metrics.Cohort]]
    members: tuple[str, ...]
    values: Mapping[str, Fraction]
    absence_factor: int
    value_absence_factor: int
    elephant_factor: int
    organisations: Mapping[str, str]
    gini: float
    top_tenth_share: float
    review: flows.ReviewFlow
    decisions: tuple[flows.Decision, ...]
    delegation: flows.Delegation
    network: Network
    places: Mapping[str, str]
    places_over_time: Mapping[str, Mapping[str, str]]  # by month


class Insight:
    """Community health of the node's spaces, cached per space until its log changes."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring
        self.folded = Folded(wiring.writer, wiring.snapshots)
        self.contributions = Contributions(wiring.writer, wiring.snapshots)
        self._cache: dict[str, Health] = {}
        self._by_ledger: dict[str, tuple[tuple[Ledger, tuple[str, ...]], _Valued]] = {}
        self._reputations: dict[
            str, tuple[tuple[Ledger, tuple[str, ...], str | None], list[dict[str, object]]]
        ] = {}
        self._networks: dict[str, _Network] = {}
        self._values: dict[str, tuple[Ledger, dict[str | None, list[dict[str, object]]]]] = {}
        self._made: dict[str, tuple[int, dict[Hashable, Any]]] = {}  # see `kept`
        self._network_lock = threading.Lock()  # held while a space's network is counted
        self._lock = threading.Lock()

    def health(self, space: str) -> Health:
        """The space's health as its log now is."""
        log = self._log(space)
        with self._lock:
            cached = self._cache.get(space)
        if cached is not None and cached.version == log.version:
            return cached
        with collection.paused():  # see `collection`: measuring makes many objects
            found = self._measure(space, log)
        with self._lock:
            self._cache[space] = found
        return found

    def rebuild(self) -> None:
        """Drop what was folded and measured; the next read starts again from the log."""
        self.folded.forget()
        self.contributions.forget()
        with self._lock:
            self._cache.clear()
            self._by_ledger.clear()
            self._networks.clear()
            self._reputations.clear()
            self._values.clear()
            self._made.clear()

    def value_over_time(self, space: str, member: str | None = None) -> list[dict[str, object]]:
        """Each month's accepted value, cumulative, per member (or of `member` alone),
        computed again only when the ledger changes."""
        health = self.health(space)
        ledger = self.wiring.service(Value).ledger(space)
        with self._lock:
            kept = self._values.get(space)
            if kept is None or kept[0] is not ledger:
                kept = self._values[space] = (ledger, {})
            rows = kept[1].get(member)
        if rows is None:
            with collection.paused():
                rows = value_over_time(ledger, health.times, member)
            with self._lock:
                if len(kept[1]) < KEEP_MADE:
                    kept[1][member] = rows
        return rows

    def kept(self, space: str, key: Hashable, make: Callable[[], T]) -> T:
        """What `make` gives (the charts drawn of the space's health), made once for `key`
        while the space's log stays as it is; at most `KEEP_MADE` keys per space."""
        version = self._log(space).version
        with self._lock:
            found = self._made.get(space)
            if found is not None and found[0] == version and key in found[1]:
                return found[1][key]  # type: ignore[no-any-return]
        made = make()
        with self._lock:
            found = self._made.get(space)
            if found is None or found[0] != version:
                found = self._made[space] = (version, {})
            if len(found[1]) < KEEP_MADE:
                found[1][key] = made
        return made

    def reputation_over_time(
        self, space: str, member: str | None = None
    ) -> list[dict[str, object]]:  # fmt: skip
        """Each month's reputation per member (or of `member` alone), computed again only
        when the ledger or the members change."""
        health = self.health(space)
        ledger = self.wiring.service(Value).ledger(space)
        key = (ledger, health.members, member)
        with self._lock:
            kept = self._reputations.get(space)
        if kept is not None and kept[0][0] is ledger and kept[0][1:] == key[1:]:
            return kept[1]
        with collection.paused():
            rows = reputation_over_time(ledger, health.members, health.times, member)
        with self._lock:
            self._reputations[space] = (key, rows)
        return rows

    def export_allowed(self, space: str) -> bool:
        """Whether the space's charter in force allows research export."""
        return research_allowed(self._log(space))

    def research_export(self, space: str, member: str) -> tuple[str, str]:
        """The anonymised network (GraphML) and activity (CSV) of the space, for a member,
        where the charter allows research export."""
        log = self._log(space)
        if log.authority is None or not log.authority.is_member(member):
            raise Forbidden("not_a_member", "only the space's members may export its data")
        if not research_allowed(log):
            raise Forbidden("research_export_off",
                            "this space's charter does not allow research export")  # fmt: skip
        health = self.health(space)
        secret = research.space_secret(self.wiring.key.seed, space)
        return (
            research.graphml(health.network, health.places, secret),
            research.activity_csv(health.made, secret),
        )

    def _log(self, space: str) -> SpaceLog:
        log = self.wiring.writer.log(space)
        if log is None or log.authority is None:
            raise NotFound("unknown_space", f"no space {space!r} on this node")
        return log

    def _measure(self, space: str, log: SpaceLog) -> Health:
        done = self.contributions.read(space)
        records = self.folded.records(space)
        ledger = self.wiring.service(Value).ledger(space)
        times = EventTimes(log.entries)
        authority = log.authority
        assert authority is not None
        members = tuple(sorted(m for m in authority.members if authority.is_member(m)))
        valued = self._valued(space, ledger, members, times)
        linked = self._linked(space, records, valued, members, times)
        organisations = records.organisations()
        return Health(
            space=space, version=log.version, made=done.made, times=times,
            activity=done.activity, cohorts=done.cohorts,
            members=members, values=valued.values,
            absence_factor=metrics.absence_factor(done.counts),
            value_absence_factor=valued.absence_factor,
            elephant_factor=metrics.elephant_factor(done.counts, organisations),
            organisations=organisations, gini=valued.gini, top_tenth_share=valued.top_tenth_share,
            review=valued.review,
            decisions=tuple(flows.decisions(proposals_of(authority).values())),
            delegation=flows.delegation(authority.delegations),
            network=linked.network, places=linked.places,
            places_over_time=linked.places_over_time,
        )  # fmt: skip

    def _valued(
        self, space: str, ledger: Ledger, members: tuple[str, ...], times: Mapping[str, int]
    ) -> _Valued:
        """The measures of the ledger, measured again only when it or the members change."""
        key = (ledger, members)
        with self._lock:
            kept = self._by_ledger.get(space)
        if kept is not None and kept[0][0] is ledger and kept[0][1] == members:
            return kept[1]
        values = {m: Fraction(0) for m in members} | ledger.member_values()
        found = _Valued(
            values=values, absence_factor=metrics.absence_factor(values),
            gini=metrics.gini(values.values()), top_tenth_share=metrics.top_share(values.values()),
            review=flows.review_flow(ledger.claims.values(), times),
            claim_touches=claim_touches(ledger.claims.values()),
        )  # fmt: skip
        with self._lock:
            self._by_ledger[space] = (key, found)
        return found

    def _linked(
        self, space: str, records: Records, valued: _Valued, members: tuple[str, ...],
        times: Mapping[str, int],
    ) -> _Linked:  # fmt: skip
        """The network and each month's places, from the touches counted so far with those
        of the records and claims that changed counted in or out (see `Incidence`)."""
        with self._network_lock:
            kept = self._networks.get(space)
            same = kept is not None and kept.records is records and kept.members == members
            if kept is not None and same and kept.claims is valued.claim_touches:
                return kept.linked
            if kept is None or not _extends(kept.records, records):
                incidence = Incidence()
                incidence.change(records.all_touches(), times, 1)
                incidence.change(valued.claim_touches, times, 1)
            else:
                incidence = kept.incidence
                added = records.touches[len(kept.records.touches) :]
                incidence.change([t for _, found in added for t in found], times, 1)
                if kept.claims is not valued.claim_touches:
                    before, now = Counter(kept.claims), Counter(valued.claim_touches)
                    incidence.change((before - now).elements(), times, -1)
                    incidence.change((now - before).elements(), times, 1)
            graph = incidence.network(members)
            found = _Linked(graph, graph.places(), incidence.places_over_time())
            self._networks[space] = _Network(records, valued.claim_touches, members, incidence,
                                             found)  # fmt: skip
            return found


def _extends(before: Records, after: Records) -> bool:
    """Whether `after`'s touches are `before`'s with more after them."""
    kept = len(before.touches)
    return len(after.touches) >= kept and (
        kept == 0 or after.touches[kept - 1] is before.touches[kept - 1]
    )


@dataclass
class _Network:
    records: Records
    claims: list[Touch]
    members: tuple[str, ...]
    incidence: Incidence
    linked: _Linked


@dataclass(frozen=True)
class _Valued:
    values: Mapping[str, Fraction]
    absence_factor: int
    gini: float
    top_tenth_share: float
    review: flows.ReviewFlow
    claim_touches: list[Touch]  # what the claims add to the network


@dataclass(frozen=True)
class _Linked:
    network: Network
    places: Mapping[str, str]
    places_over_time: Mapping[str, Mapping[str, str]]


def research_allowed(log: SpaceLog) -> bool:
    """Whether the charter in force allows research export."""
    assert log.authority is not None
    return research.research_policy(log.authority.charter).export
