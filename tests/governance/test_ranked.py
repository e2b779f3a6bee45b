"""Borda, Schulze, IRV and STV (governance/methods/ranked.py).

Published elections, with their known results:

- Schulze: Wikipedia's example of 45 voters over A-E (5 ACBED, 5 ADECB, 8 BEDAC, 3 CABED,
  7 CAEBD, 2 CBADE, 7 DCEBA, 8 EBADC): the d and p matrices as printed there, winner E,
  order E > A > C > B > D.
- Tennessee's capital (42 % Memphis > Nashville > Chattanooga > Knoxville, 26 % N > C > K > M,
  15 % C > K > N > M, 17 % K > C > N > M): IRV elects Knoxville (Chattanooga, then Nashville
  out), Borda Nashville with 194 (M 126, C 173, K 107), Schulze Nashville, the Condorcet
  winner.
- STV: Wikipedia's food election, 20 voters, 3 seats (4 Oranges; 2 Pears > Oranges;
  8 Chocolate > Strawberries; 4 Chocolate > Sweets; 1 Strawberries; 1 Sweets). Droop quota
  6; Chocolate (12) elected, its surplus 6 of 12 passed on at 1/2 (Strawberries 5, Sweets 3);
  Pears out, Oranges reach 6; Sweets out; Strawberries fill the last seat.

Random complete profiles are checked against pref_voting's Schulze (beat path: on complete
strict orders margins and winning votes agree), Borda, instant runoff given our tie order,
and weighted inclusive Gregory STV with the integer Droop quota.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pref_voting.profiles import Profile
from pref_voting.proportional_methods import stv_wig
from pref_voting.voting_methods import beat_path, instant_runoff

from p2pvalue.governance.methods import check_ballot, ranked, tally
from p2pvalue.governance.methods.base import Cast, Option, Rules, Tally, tie_order

# A seed whose seeded order of A, B, C is C, B, A: the reverse of the lexicographic one.
REVERSING_SEED = "p5"

Ballots = Sequence[tuple[int, Sequence[str]]]


def casts(ballots: Ballots) -> list[Cast]:
    """One Cast per (weight, ranking)."""
    return [Cast(f"voter{n}", w, {"ranking": list(r)}) for n, (w, r) in enumerate(ballots)]


def run(rules: Rules, ids: Sequence[str], ballots: Ballots, eligible: int = 0) -> Tally:
    total = sum(weight for weight, _ in ballots)
    return tally(rules, [Option(i) for i in ids], casts(ballots), eligible or total)


SCHULZE_EXAMPLE = [
    (5, "ACBED"), (5, "ADECB"), (8, "BEDAC"), (3, "CABED"),
    (7, "CAEBD"), (2, "CBADE"), (7, "DCEBA"), (8, "EBADC"),
]  # fmt: skip


def test_schulze_wikipedia_example() -> None:
    ballots = [(1, ranking) for count, ranking in SCHULZE_EXAMPLE for _ in range(count)]
    result = run(Rules("schulze"), "ABCDE", ballots)
    assert result.passed and result.winners == ("E", "A", "C", "B", "D")
    assert not result.tie and result.tied == ()
    assert result.figures["d"] == {
        "A": {"B": 20, "C": 26, "D": 30, "E": 22}, "B": {"A": 25, "C": 16, "D": 33, "E": 18},
        "C": {"A": 19, "B": 29, "D": 17, "E": 24}, "D": {"A": 15, "B": 12, "C": 28, "E": 14},
        "E": {"A": 23, "B": 27, "C": 21, "D": 31},
    }  # fmt: skip
    assert result.figures["p"] == {
        "A": {"B": 28, "C": 28, "D": 30, "E": 24}, "B": {"A": 25, "C": 28, "D": 33, "E": 24},
        "C": {"A": 25, "B": 29, "D": 29, "E": 24}, "D": {"A": 25, "B": 28, "C": 28, "E": 24},
        "E": {"A": 25, "B": 28, "C": 28, "D": 31},
    }  # fmt: skip
    assert result.reason == "E is beaten by no other option on strongest paths"


CITIES = ("Memphis", "Nashville", "Chattanooga", "Knoxville")
TENNESSEE = [
    (42, ["Memphis", "Nashville", "Chattanooga", "Knoxville"]),
    (26, ["Nashville", "Chattanooga", "Knoxville", "Memphis"]),
    (15, ["Chattanooga", "Knoxville", "Nashville", "Memphis"]),
    (17, ["Knoxville", "Chattanooga", "Nashville", "Memphis"]),
]


def test_tennessee_irv_elects_knoxville() -> None:
    result = run(Rules("irv"), CITIES, TENNESSEE)
    assert result.passed and result.winners == ("Knoxville",) and not result.tie
    assert result.figures["rounds"] == [
        {"counts": {"Memphis": 42, "Nashville": 26, "Chattanooga": 15, "Knoxville": 17},
         "exhausted": 0, "eliminated": "Chattanooga"},
        {"counts": {"Memphis": 42, "Nashville": 26, "Knoxville": 32},
         "exhausted": 0, "eliminated": "Nashville"},
        {"counts": {"Memphis": 42, "Knoxville": 58}, "exhausted": 0},
    ]  # fmt: skip
    assert result.reason == "Knoxville wins round 3 with 58 of 100 votes"


def test_tennessee_borda_elects_nashville() -> None:
    result = run(Rules("borda"), CITIES, TENNESSEE)
    assert result.winners == ("Nashville", "Chattanooga", "Memphis", "Knoxville")
    assert result.figures["scores"] == {
        "Memphis": 126, "Nashville": 194, "Chattanooga": 173, "Knoxville": 107,
    }  # fmt: skip
    assert result.reason == "Nashville has the highest Borda score, 194"


def test_tennessee_schulze_elects_the_condorcet_winner_nashville() -> None:
    result = run(Rules("schulze"), CITIES, TENNESSEE)
    assert result.winners == ("Nashville", "Chattanooga", "Knoxville", "Memphis")
    assert result.figures["d"]["Nashville"] == {"Memphis": 58, "Chattanooga": 68, "Knoxville": 68}


def test_tennessee_stv_for_one_seat_agrees_with_irv() -> None:
    result = run(Rules("stv"), CITIES, TENNESSEE)
    assert result.winners == ("Knoxville",)
    assert result.figures["quota"] == 51
    assert [r.get("eliminated") for r in result.figures["rounds"]] == [
        "Chattanooga", "Nashville", None,
    ]  # fmt: skip


def test_weights_count_as_identical_ballots() -> None:
    expanded = [(1, ranking) for weight, ranking in TENNESSEE for _ in range(weight)]
    for method in ranked.RANKED_METHODS:
        assert run(Rules(method), CITIES, TENNESSEE) == run(Rules(method), CITIES, expanded)


def test_figures_are_json() -> None:
    for method in ranked.RANKED_METHODS:
        figures = run(Rules(method), CITIES, TENNESSEE).figures
        assert json.loads(json.dumps(figures)) == figures


FOODS = ("Oranges", "Pears", "Chocolate", "Strawberries", "Sweets")
FOOD_ELECTION = [
    (4, ["Oranges"]), (2, ["Pears", "Oranges"]), (8, ["Chocolate", "Strawberries"]),
    (4, ["Chocolate", "Sweets"]), (1, ["Strawberries"]), (1, ["Sweets"]),
]  # fmt: skip


def test_stv_wikipedia_food_election() -> None:
    result = run(Rules("stv", seats=3), FOODS, FOOD_ELECTION)
    assert result.passed and result.winners == ("Chocolate", "Oranges", "Strawberries")
    assert not result.tie
    assert result.figures["quota"] == 6
    rounds = result.figures["rounds"]
    assert rounds[0]["elected"] == ["Chocolate"]
    assert rounds[0]["transfer_values"] == {"Chocolate": "1/2"}
    assert rounds[1]["tallies"] == {
        "Oranges": "4/1", "Pears": "2/1", "Strawberries": "5/1", "Sweets": "3/1",
    }  # fmt: skip
    assert rounds[1]["eliminated"] == "Pears"
    assert rounds[2]["tallies"]["Oranges"] == "6/1" and rounds[2]["elected"] == ["Oranges"]
    assert rounds[3]["eliminated"] == "Sweets" and rounds[3]["exhausted"] == "3/1"
    assert rounds[4] == {"tallies": {"Strawberries": "5/1"}, "elected": ["Strawberries"]}
    assert result.reason == "elected Chocolate, Oranges, Strawberries with a Droop quota of 6"


def test_stv_exact_fractional_transfer() -> None:
    """9 ballots, 2 seats: quota 9 // 3 + 1 = 4. A (7) is elected and its surplus 3 goes on at
    3/7: B gets 5 * 3/7 = 15/7, C 2 + 2 * 3/7 = 20/7. B is out, C fills the last seat."""
    ballots = [(5, ["A", "B"]), (2, ["A", "C"]), (2, ["C"])]
    result = run(Rules("stv", seats=2), "ABC", ballots)
    rounds = result.figures["rounds"]
    assert rounds[0]["transfer_values"] == {"A": "3/7"}
    assert rounds[1]["tallies"] == {"B": "15/7", "C": "20/7"}
    assert result.winners == ("A", "C")


SEEDED = Rules("borda", tie_break="seeded", seed=REVERSING_SEED)


def test_the_reversing_seed_reverses() -> None:
    assert tie_order(SEEDED, ["A", "B", "C"]) == ["C", "B", "A"]


@pytest.mark.parametrize("method", ["borda", "schulze"])
def test_first_place_tie_is_broken_by_tie_order(method: str) -> None:
    ballots = [(1, ["A", "B"]), (1, ["B", "A"])]
    lexicographic = run(Rules(method, tie_break="lexicographic"), "AB", ballots)
    assert lexicographic.winners == ("A", "B")
    assert lexicographic.tie and lexicographic.tied == ("A", "B")
    assert lexicographic.reason.endswith("A, B tied; A wins by the lexicographic tie-break")
    seeded = run(Rules(method, tie_break="seeded", seed=REVERSING_SEED), "AB", ballots)
    assert seeded.winners == ("B", "A") and seeded.tied == ("B", "A")
    assert seeded.reason.endswith("B, A tied; B wins by the seeded tie-break")


RUNOFF_TIE = [(3, ["A"]), (2, ["B", "C"]), (2, ["C", "B"])]


@pytest.mark.parametrize("method", ["irv", "stv"])
def test_elimination_tie_eliminates_the_last_in_tie_order(method: str) -> None:
    lexicographic = run(Rules(method, tie_break="lexicographic"), "ABC", RUNOFF_TIE)
    assert lexicographic.winners == ("B",)
    assert lexicographic.tie and lexicographic.tied == ("B", "C")
    assert lexicographic.figures["rounds"][0]["eliminated"] == "C"
    assert lexicographic.reason.endswith(
        "B, C tied; C eliminated in round 1 by the lexicographic tie-break"
    )
    seeded = run(Rules(method, tie_break="seeded", seed=REVERSING_SEED), "ABC", RUNOFF_TIE)
    assert seeded.winners == ("C",) and seeded.tied == ("C", "B")
    assert seeded.figures["rounds"][0]["eliminated"] == "B"


def test_irv_majority_is_of_the_ballots_not_exhausted() -> None:
    ballots = [(4, ["A"]), (3, ["B"]), (2, ["C", "B"]), (2, ["D"])]
    result = run(Rules("irv"), "ABCD", ballots)
    assert result.winners == ("B",)
    assert result.figures["rounds"] == [
        {"counts": {"A": 4, "B": 3, "C": 2, "D": 2}, "exhausted": 0, "eliminated": "D",
         "tied": ["C", "D"]},
        {"counts": {"A": 4, "B": 3, "C": 2}, "exhausted": 2, "eliminated": "C"},
        {"counts": {"A": 4, "B": 5}, "exhausted": 2},
    ]  # fmt: skip
    assert result.reason.startswith("B wins round 3 with 5 of 9 votes")


def test_partial_rankings_leave_unranked_options_below() -> None:
    ballots = [(2, ["A"]), (1, ["B", "C"])]
    assert run(Rules("borda"), "ABC", ballots).figures["scores"] == {"A": 4, "B": 2, "C": 1}
    schulze = run(Rules("schulze"), "ABC", ballots)
    assert schulze.figures["d"] == {
        "A": {"B": 2, "C": 2}, "B": {"A": 1, "C": 1}, "C": {"A": 1, "B": 0},
    }  # fmt: skip
    assert schulze.winners == ("A", "B", "C")


def test_nothing_is_decided_without_ranked_ballots() -> None:
    nobody: Ballots = []
    for method in ranked.RANKED_METHODS:
        for ballots in (nobody, [(3, [])]):
            result = run(Rules(method), "AB", ballots, eligible=5)
            assert not result.passed and result.winners == ()
            assert result.reason == "no ranked ballots"


def test_a_quorum_counts_empty_ballots_and_can_fail() -> None:
    rules = Rules("schulze", quorum=Fraction(1, 2))
    short = run(rules, "AB", [(2, ["A"])], eligible=10)
    assert not short.passed and short.winners == ()
    assert short.reason == "quorum not met: 2 of 10 took part, 5 needed"
    met = run(rules, "AB", [(2, ["A"]), (3, [])], eligible=10)
    assert met.passed and met.winners == ("A", "B") and met.figures["cast"] == 5


@pytest.mark.parametrize(
    ("ballot", "code"),
    [
        ({"ranking": ["B", "A"]}, None), ({"ranking": ["C"]}, None), ({"ranking": []}, None),
        ({"ranking": ["A", "A"]}, "duplicate_option"), ({"ranking": ["A", "Z"]}, "unknown_option"),
        ({"ranking": "AB"}, "bad_ballot"), ({"ranking": [1]}, "bad_ballot"),
        ({"rank": ["A"]}, "bad_ballot"), ({"ranking": ["A"], "note": "x"}, "bad_ballot"),
    ],
)  # fmt: skip
def test_check_ballot(ballot: dict[str, Any], code: str | None) -> None:
    options = [Option("A"), Option("B"), Option("C")]
    for method in ranked.RANKED_METHODS:
        assert check_ballot(Rules(method), options, ballot) == code


# Random complete profiles, compared with pref_voting.

Drawn = tuple[int, list[tuple[list[int], int]], Rules]


@st.composite
def profiles(draw: st.DrawFn) -> Drawn:
    """3-6 candidates "0".."5", 1-40 complete strict ballots of weight 1-3, a tie rule."""
    n = draw(st.integers(3, 6))
    ballot = st.tuples(st.permutations(range(n)), st.integers(1, 3))
    ballots: list[tuple[list[int], int]] = draw(st.lists(ballot, min_size=1, max_size=40))
    seeded = draw(st.booleans())
    seed = draw(st.text("abcdef", max_size=4))
    rules = Rules("", tie_break="seeded" if seeded else "lexicographic", seed=seed)
    return n, [(list(order), weight) for order, weight in ballots], rules


def ours(method: str, drawn: Drawn, seats: int = 1) -> Tally:
    n, ballots, rules = drawn
    rules = Rules(method, seats=seats, tie_break=rules.tie_break, seed=rules.seed)
    ids = [str(c) for c in range(n)]
    return run(rules, ids, [(w, [str(c) for c in order]) for order, w in ballots])


def theirs(drawn: Drawn) -> Profile:
    _, ballots, _ = drawn
    return Profile([order for order, _ in ballots], [weight for _, weight in ballots])


def order_of(drawn: Drawn) -> list[int]:
    """All candidates in our tie order, best first."""
    n, _, rules = drawn
    return [int(c) for c in tie_order(rules, [str(c) for c in range(n)])]


def first_in_tie_order(drawn: Drawn, candidates: Sequence[int]) -> str:
    return str(next(c for c in order_of(drawn) if c in candidates))


@settings(max_examples=150, deadline=None)
@given(profiles())
def test_schulze_agrees_with_pref_voting(drawn: Drawn) -> None:
    result, profile = ours("schulze", drawn), theirs(drawn)
    winners = beat_path(profile)
    assert result.winners[0] == first_in_tie_order(drawn, winners)
    assert result.tie == (len(winners) > 1)
    d = result.figures["d"]
    assert all(d[str(a)][str(b)] == profile.support(a, b)
               for a in profile.candidates for b in profile.candidates if a != b)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(profiles())
def test_borda_agrees_with_pref_voting(drawn: Drawn) -> None:
    # pref_voting's `borda` returns the top scorers of `borda_scores` (called with
    # curr_cands, which costs a second numba compilation of some seconds).
    result, profile = ours("borda", drawn), theirs(drawn)
    scores = profile.borda_scores()
    assert result.figures["scores"] == {str(c): int(s) for c, s in scores.items()}
    top = [c for c, s in scores.items() if s == max(scores.values())]
    assert result.winners[0] == first_in_tie_order(drawn, top)
    assert result.tie == (len(top) > 1)


@settings(max_examples=150, deadline=None)
@given(profiles())
def test_irv_agrees_with_pref_voting_given_our_tie_order(drawn: Drawn) -> None:
    # pref_voting eliminates tie_breaker[0] first among the tied; we eliminate our last.
    winners = instant_runoff(theirs(drawn), tie_breaker=order_of(drawn)[::-1])
    assert [int(w) for w in ours("irv", drawn).winners] == winners
    assert ours("stv", drawn).winners == ours("irv", drawn).winners


@settings(max_examples=100, deadline=None)
@given(profiles(), st.integers(2, 4))
def test_stv_agrees_with_pref_voting_weighted_inclusive_gregory(drawn: Drawn, seats: int) -> None:
    n = drawn[0]
    seats = min(seats, n - 1)
    rank = {c: k for k, c in enumerate(order_of(drawn))}
    elected = stv_wig(theirs(drawn), num_seats=seats, quota_rule="droop", tie_break_key=rank.get)
    assert sorted(int(w) for w in ours("stv", drawn, seats).winners) == sorted(elected)


@settings(max_examples=60, deadline=None)
@given(profiles())
def test_merging_ballots_changes_nothing(drawn: Drawn) -> None:
    n, ballots, rules = drawn
    ones = (n, [(order, 1) for order, weight in ballots for _ in range(weight)], rules)
    for method in ranked.RANKED_METHODS:
        assert ours(method, drawn, 2) == ours(method, ones, 2)
