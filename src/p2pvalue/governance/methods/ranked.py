"""Ranked-ballot methods: Borda count, Schulze, instant runoff (IRV) and single transferable
vote (STV).

A ballot is `{"ranking": [option id, ...]}`: a strict order, best first, naming each option at
most once. It may be partial: the options it leaves out are tied below every ranked one. An
empty ranking takes part (it counts towards a quorum) but prefers nothing. A Cast of weight w
counts as w identical ballots, and identical rankings are merged before counting, so every
result depends only on the multiset of ballots. A quorum (`rules.quorum` > 0) is the share of
eligible weight that must cast a ballot, empty ones included.

Every tie is broken by `base.tie_order` (best first) and reported in the Tally:

- borda: the highest score wins; equal top scores go to the option tie_order puts first.
- schulze: the winners are the options no other beats by strongest paths; of several, the
  one tie_order puts first wins.
  Both list every option in `winners`, lower places ordered the same way; only a tie for
  first place is reported.
- irv: a tie for the fewest votes eliminates the tied option tie_order puts last.
- stv: a tie for the fewest votes eliminates the tied option tie_order puts last. Options
  that reach the quota together are all elected (ordered by votes, then tie_order), so no
  tie among them changes who wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt

from p2pvalue.governance.methods.base import Cast, CheckFn, Option, Rules, Tally, TallyFn, tie_order

IntArray = npt.NDArray[np.int64]
RANKED_METHODS = ("borda", "schulze", "irv", "stv")


def _text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def check(rules: Rules, options: Sequence[Option], ballot: Mapping[str, Any]) -> str | None:
    """None if `ballot` ranks distinct known options, else "bad_ballot" (not
    `{"ranking": [id, ...]}`), "unknown_option" or "duplicate_option"."""
    if not isinstance(ballot, Mapping) or set(ballot) != {"ranking"}:
        return "bad_ballot"
    ranking = ballot["ranking"]
    if not isinstance(ranking, list | tuple) or not all(isinstance(i, str) for i in ranking):
        return "bad_ballot"
    if not set(ranking) <= {option.id for option in options}:
        return "unknown_option"
    return "duplicate_option" if len(set(ranking)) != len(ranking) else None


@dataclass(frozen=True)
class Profile:
    """Ranked ballots with identical rankings merged: the option ids in the proposal's order,
    each distinct non-empty ranking (best first) with its total weight, and the weight of
    every cast, empty rankings included."""

    ids: tuple[str, ...]
    rankings: tuple[tuple[str, ...], ...]
    weights: tuple[int, ...]
    cast: int

    @property
    def valid(self) -> int:
        """The weight of the ballots that rank something."""
        return sum(self.weights)


def profile(options: Sequence[Option], casts: Sequence[Cast]) -> Profile:
    """`casts` merged by ranking. A ranking `check` would refuse (not a list, an unknown or a
    repeated id) is skipped rather than trusted."""
    merged: dict[tuple[Any, ...], int] = {}
    for cast in casts:
        ranking = cast.ballot.get("ranking")
        if isinstance(ranking, list | tuple) and ranking and cast.weight > 0:
            key = tuple(ranking)
            merged[key] = merged.get(key, 0) + cast.weight
    ids = tuple(option.id for option in options)
    known = set(ids)
    rankings, weights = [], []
    for key, weight in merged.items():
        if len(named := set(key)) == len(key) and named <= known:
            rankings.append(key)
            weights.append(weight)
    total = sum(cast.weight for cast in casts)
    return Profile(ids, tuple(rankings), tuple(weights), total)


def positions(ballots: Profile) -> IntArray:
    """Where each distinct ranking puts every option (0 = first); unranked options get m."""
    rows, m = len(ballots.rankings), len(ballots.ids)
    index = {option: n for n, option in enumerate(ballots.ids)}
    lengths = np.fromiter(map(len, ballots.rankings), np.int64, rows)
    named = chain.from_iterable(ballots.rankings)
    flat = np.fromiter(map(index.__getitem__, named), np.int64, int(lengths.sum()))
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    table = np.full((rows, m), m, np.int64)
    table[np.repeat(np.arange(rows), lengths), flat] = np.arange(flat.size) - starts
    return table


def _weights(ballots: Profile) -> IntArray:
    return np.array(ballots.weights, np.int64)


def _broken(rules: Rules, tied: Sequence[str], outcome: str) -> str:
    return f"{', '.join(tied)} tied; {outcome} by the {rules.tie_break} tie-break"


def _elimination_ties(rules: Rules, rounds: Sequence[Mapping[str, Any]]) -> str:
    """The reason's note on each elimination a tie-break decided."""
    notes = [
        _broken(rules, record["tied"], f"{record['eliminated']} eliminated in round {number}")
        for number, record in enumerate(rounds, 1)
        if "tied" in record
    ]
    return "".join(f"; {note}" for note in notes)


def _result(
    rules: Rules, winners: Sequence[str], ties: Sequence[Sequence[str]], reason: str,
    figures: Mapping[str, Any],
) -> Tally:  # fmt: skip
    tied = tuple(dict.fromkeys(chain.from_iterable(ties)))
    return Tally(rules.method, bool(winners), tuple(winners), bool(tied), tied, reason, figures)


def borda(rules: Rules, ballots: Profile) -> Tally:
    """With m options, the option ranked k-th (from 0) scores m-1-k and an unranked one 0;
    the winners are all options by score, best first."""
    m = len(ballots.ids)
    table = positions(ballots)
    points = np.where(table < m, m - 1 - table, 0)
    scores = dict(zip(ballots.ids, (_weights(ballots) @ points).tolist(), strict=True))
    ranking = sorted(tie_order(rules, ballots.ids), key=lambda option: -scores[option])
    top = [option for option in ranking if scores[option] == scores[ranking[0]]]
    reason = f"{ranking[0]} has the highest Borda score, {scores[ranking[0]]}"
    ties = [top] if len(top) > 1 else []
    if ties:
        reason += f"; {_broken(rules, top, f'{ranking[0]} wins')}"
    return _result(rules, ranking, ties, reason, {"scores": scores})


def pairwise(ballots: Profile) -> IntArray:
    """d[i][j]: the weight of the ballots that rank option i above option j."""
    table, weights = positions(ballots), _weights(ballots)
    d = np.zeros((table.shape[1], table.shape[1]), np.int64)
    for i in range(table.shape[1]):
        d[i] = weights @ (table[:, i, None] < table)
    return d


def strongest_paths(d: IntArray) -> IntArray:
    """p[i][j]: the strength of the strongest path from i to j, a path's strength being its
    weakest link, a link i -> j existing where d[i][j] > d[j][i] with strength d[i][j]
    (winning votes; Floyd-Warshall widest paths)."""
    p = np.where(d > d.T, d, 0)
    for k in range(len(p)):
        p = np.maximum(p, np.minimum(p[:, k, None], p[None, k, :]))
    np.fill_diagonal(p, 0)
    return p


def _levels(rules: Rules, ids: Sequence[str], p: IntArray) -> list[list[str]]:
    """The options in Schulze order: repeatedly those no remaining option beats
    (p[y][x] > p[x][y]), each level in tie_order."""
    beats = p > p.T
    left, levels = list(range(len(ids))), []
    while left:
        top = [x for x in left if not any(beats[y, x] for y in left)]
        levels.append(tie_order(rules, [ids[x] for x in top]))
        left = [x for x in left if x not in top]
    return levels


def _matrix(ids: Sequence[str], values: IntArray) -> dict[str, dict[str, int]]:
    rows: list[list[int]] = values.tolist()
    return {a: {b: rows[i][j] for j, b in enumerate(ids) if i != j} for i, a in enumerate(ids)}


def schulze(rules: Rules, ballots: Profile) -> Tally:
    """The Schulze method (winning votes); the winners are all options in Schulze order."""
    d = pairwise(ballots)
    p = strongest_paths(d)
    levels = _levels(rules, ballots.ids, p)
    winner = levels[0][0]
    reason = f"{winner} is beaten by no other option on strongest paths"
    ties = [levels[0]] if len(levels[0]) > 1 else []
    if ties:
        reason += f"; {_broken(rules, levels[0], f'{winner} wins')}"
    figures = {"d": _matrix(ballots.ids, d), "p": _matrix(ballots.ids, p)}
    return _result(rules, list(chain.from_iterable(levels)), ties, reason, figures)


def first_preferences(table: IntArray, weights: IntArray, out: Sequence[int]) -> IntArray:
    """The weight whose highest-ranked option not in `out` is each option."""
    masked = table.copy()
    masked[:, list(out)] = table.shape[1]
    top = masked.argmin(axis=1)
    live = masked[np.arange(len(top)), top] < table.shape[1]
    counts = np.zeros(table.shape[1], np.int64)
    np.add.at(counts, top[live], weights[live])
    return counts


def irv(rules: Rules, ballots: Profile) -> Tally:
    """Instant runoff: until an option holds a strict majority of the ballots still ranking a
    continuing option, eliminate the one with the fewest first preferences."""
    table, weights, ids = positions(ballots), _weights(ballots), ballots.ids
    out: list[int] = []
    rounds: list[dict[str, Any]] = []
    ties: list[list[str]] = []
    while True:
        counts: list[int] = first_preferences(table, weights, out).tolist()
        live = [c for c in range(len(ids)) if c not in out]
        active = sum(counts)
        rounds.append({"counts": {ids[c]: counts[c] for c in live},
                       "exhausted": ballots.valid - active})  # fmt: skip
        leader = max(live, key=counts.__getitem__)
        if 2 * counts[leader] > active or len(live) == 1:
            break
        fewest = min(counts[c] for c in live)
        tied = tie_order(rules, [ids[c] for c in live if counts[c] == fewest])
        rounds[-1]["eliminated"] = tied[-1]
        if len(tied) > 1:
            rounds[-1]["tied"] = tied
            ties.append(tied)
        out.append(ids.index(tied[-1]))
    reason = f"{ids[leader]} wins round {len(rounds)} with {counts[leader]} of {active} votes"
    reason += _elimination_ties(rules, rounds)
    return _result(rules, [ids[leader]], ties, reason, {"rounds": rounds})


@dataclass
class _Count:
    """An STV count in progress: the options still hopeful, which option holds each distinct
    ranking's ballots (None: exhausted), and those ballots' current value."""

    ids: tuple[str, ...]
    rankings: Sequence[tuple[str, ...]]
    hopeful: set[str]
    holder: list[str | None]
    value: list[Fraction]

    def next_hopeful(self, ballot: int) -> str | None:
        return next((o for o in self.rankings[ballot] if o in self.hopeful), None)

    def move(self, source: str, factor: Fraction) -> None:
        """Pass the ballots `source` holds on to their next hopeful option, their value
        multiplied by `factor`."""
        for ballot, holder in enumerate(self.holder):
            if holder == source:
                self.value[ballot] *= factor
                self.holder[ballot] = self.next_hopeful(ballot) if factor else None

    def totals(self) -> dict[str, Fraction]:
        totals = dict.fromkeys(self.hopeful, Fraction(0))
        for holder, value in zip(self.holder, self.value, strict=True):
            if holder in totals:
                totals[holder] += value
        return totals

    def exhausted(self) -> Fraction:
        return sum((v for h, v in zip(self.holder, self.value, strict=True) if h is None),
                   Fraction(0))  # fmt: skip


def _start(ballots: Profile) -> _Count:
    holders: list[str | None] = [ranking[0] for ranking in ballots.rankings]
    values = [Fraction(weight) for weight in ballots.weights]
    return _Count(ballots.ids, ballots.rankings, set(ballots.ids), holders, values)


def _by_votes(rules: Rules, totals: Mapping[str, Fraction]) -> list[str]:
    return sorted(tie_order(rules, list(totals)), key=lambda option: -totals[option])


def _elect(count: _Count, reached: Sequence[str], totals: Mapping[str, Fraction], quota: int,
           seats_left: int) -> dict[str, Any]:  # fmt: skip
    """Elect `reached` at once; while seats remain, pass each one's surplus on to hopeful
    options only, so the order of the transfers cannot matter."""
    count.hopeful.difference_update(reached)
    record: dict[str, Any] = {"elected": list(reached)}
    if len(reached) < seats_left:
        factors = {option: (totals[option] - quota) / totals[option] for option in reached}
        for option, factor in factors.items():
            count.move(option, factor)
        record["transfer_values"] = {option: _text(f) for option, f in factors.items()}
    return record


def _stv_round(rules: Rules, count: _Count, quota: int, seats_left: int) -> dict[str, Any]:
    """One STV round: fill the seats left if only that many options remain hopeful; else
    elect every option at or over the quota; else eliminate the one with the fewest votes
    and pass its ballots on at their current value."""
    totals = count.totals()
    record: dict[str, Any] = {"tallies": {o: _text(totals[o]) for o in count.ids if o in totals}}
    if len(count.hopeful) <= seats_left:
        count.hopeful.clear()
        return {**record, "elected": _by_votes(rules, totals)}
    reached = [option for option in _by_votes(rules, totals) if totals[option] >= quota]
    if reached:
        record |= _elect(count, reached[:seats_left], totals, quota, seats_left)
    else:
        fewest = min(totals.values())
        tied = tie_order(rules, [option for option in totals if totals[option] == fewest])
        record["eliminated"] = tied[-1]
        if len(tied) > 1:
            record["tied"] = tied
        count.hopeful.discard(tied[-1])
        count.move(tied[-1], Fraction(1))
    return {**record, "exhausted": _text(count.exhausted())}


def stv(rules: Rules, ballots: Profile) -> Tally:
    """Single transferable vote for `rules.seats` seats, with the Droop quota
    floor(valid / (seats + 1)) + 1 and exact weighted inclusive Gregory transfers: an
    elected option's transfer value is surplus / its votes, multiplying the value of every
    ballot it holds. The winners are in order of election (the same round: most votes first,
    equal votes in tie_order)."""
    quota = ballots.valid // (rules.seats + 1) + 1
    count, elected = _start(ballots), list[str]()
    rounds: list[dict[str, Any]] = []
    while len(elected) < rules.seats and count.hopeful:
        rounds.append(_stv_round(rules, count, quota, rules.seats - len(elected)))
        elected += rounds[-1].get("elected", [])
    reason = f"elected {', '.join(elected)} with a Droop quota of {quota}"
    reason += _elimination_ties(rules, rounds)
    ties = [record["tied"] for record in rounds if "tied" in record]
    figures = {"quota": quota, "seats": rules.seats, "rounds": rounds}
    return _result(rules, elected, ties, reason, figures)


def _quorum_shortfall(rules: Rules, cast: int, eligible: int) -> str | None:
    if rules.quorum <= 0:
        return None
    if eligible <= 0:
        return "quorum not met: nobody is eligible"
    if Fraction(cast, eligible) >= rules.quorum:
        return None
    needed = -((-rules.quorum.numerator * eligible) // rules.quorum.denominator)
    return f"quorum not met: {cast} of {eligible} took part, {needed} needed"


_COUNTS = {"borda": borda, "schulze": schulze, "irv": irv, "stv": stv}


def tally(rules: Rules, options: Sequence[Option], casts: Sequence[Cast], eligible: int) -> Tally:
    """The result of the ranked method `rules.method` over `casts`, out of `eligible`
    weight: nothing is decided without a ranked ballot or short of the quorum."""
    ballots = profile(options, casts)
    figures = {"cast": ballots.cast, "valid": ballots.valid, "eligible": eligible}
    shortfall = _quorum_shortfall(rules, ballots.cast, eligible)
    no_seats = rules.method == "stv" and rules.seats < 1
    if shortfall is not None or not ballots.rankings or no_seats:
        reason = shortfall or ("no seats to fill" if ballots.rankings else "no ranked ballots")
        return Tally(rules.method, False, reason=reason, figures=figures)
    outcome = _COUNTS[rules.method](rules, ballots)
    return replace(outcome, figures={**figures, **outcome.figures})


TALLIES: dict[str, TallyFn] = dict.fromkeys(RANKED_METHODS, tally)
CHECKS: dict[str, CheckFn] = dict.fromkeys(RANKED_METHODS, check)
