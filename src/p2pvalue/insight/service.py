"""The node's side of insight: a space's health read from its log, its ledger and its
proposals, kept until the log's version changes, and the research exports.

The measures themselves are pure (`metrics`, `flows`, `network`); this module gathers their
inputs from the node and caches the result per space and log version.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from p2pvalue.accounting.service import Value
from p2pvalue.domain import Wiring
from p2pvalue.errors import Forbidden, NotFound
from p2pvalue.events.log import SpaceLog
from p2pvalue.governance.proposals import proposals_of
from p2pvalue.insight import flows, metrics, research
from p2pvalue.insight.network import Network, claim_touches, network, places_over_time
from p2pvalue.insight.network import resolve_posts as resolved
from p2pvalue.insight.state import Folded
from p2pvalue.insight.timeline import GRANULARITIES, Contribution, contributions, event_times
from p2pvalue.insight.values import value_over_time


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
        self.folded = Folded(wiring.writer)
        self._cache: dict[str, Health] = {}
        self._lock = threading.Lock()

    def health(self, space: str) -> Health:
        """The space's health as its log now is."""
        log = self._log(space)
        with self._lock:
            cached = self._cache.get(space)
        if cached is not None and cached.version == log.version:
            return cached
        found = self._measure(space, log)
        with self._lock:
            self._cache[space] = found
        return found

    def rebuild(self) -> None:
        """Drop what was folded and measured; the next read starts again from the log."""
        self.folded.forget()
        with self._lock:
            self._cache.clear()

    def value_over_time(self, space: str, member: str | None = None) -> list[dict[str, object]]:
        """Each month's accepted value, cumulative, per member (or of `member` alone)."""
        health = self.health(space)
        ledger = self.wiring.service(Value).ledger(space)
        return value_over_time(ledger, health.times, member)

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
        records = self.folded.records(space)
        ledger = self.wiring.service(Value).ledger(space)
        times = event_times(log.order, log.entries)
        made = contributions(log.order, log.entries, log.reasons)
        authority = log.authority
        assert authority is not None
        members = tuple(sorted(m for m in authority.members if authority.is_member(m)))
        values = {m: Fraction(0) for m in members} | ledger.member_values()
        counts = _counts(made)
        touches = resolved(records.all_touches() + claim_touches(ledger.claims.values()))
        graph = network(touches, members)
        organisations = records.organisations()
        return Health(
            space=space, version=log.version, made=tuple(made), times=times,
            activity={g: metrics.activity(made, g) for g in GRANULARITIES},
            cohorts={g: metrics.cohorts(made, g) for g in GRANULARITIES},
            members=members, values=values,
            absence_factor=metrics.absence_factor(counts),
            value_absence_factor=metrics.absence_factor(values),
            elephant_factor=metrics.elephant_factor(counts, organisations),
            organisations=organisations,
            gini=metrics.gini(values.values()), top_tenth_share=metrics.top_share(values.values()),
            review=flows.review_flow(ledger.claims.values(), times),
            decisions=tuple(flows.decisions(proposals_of(authority).values())),
            delegation=flows.delegation(authority.delegations),
            network=graph, places=graph.places(),
            places_over_time=places_over_time(touches, times, "month"),
        )  # fmt: skip


def research_allowed(log: SpaceLog) -> bool:
    """Whether the charter in force allows research export."""
    assert log.authority is not None
    return research.research_policy(log.authority.charter).export


def _counts(made: list[Contribution]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for contribution in made:
        counts[contribution.author] = counts.get(contribution.author, 0) + 1
    return counts
