"""Approval, score and quadratic voting (governance/methods/cardinal.py).

Worked examples, checkable by hand:

- Approval: ann (weight 2) approves a, b; bea approves b. Totals a 2, b 3, c 0: b wins one seat.
- Score (max 5): ann (weight 2) gives a 3, b 1; bea gives a 1, b 5. Totals a 7, b 7: a tie for one
  seat, broken lexicographically to a; averages 7/3 each over 3 ballots.
- Quadratic (10 credits): ann (weight 2) votes a +2, b -1; bea votes b +3. Net a 4, b 1;
  credits spent a 2*4 = 8, b 2*1 + 9 = 11.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from p2pvalue.governance.methods import cardinal
from p2pvalue.governance.methods.base import Cast, Option, Rules, Tally, tie_order

OPTIONS = [Option("a"), Option("b"), Option("c")]


def approval(rules: Rules, *casts: Cast) -> Tally:
    return cardinal.tally_approval(rules, OPTIONS, casts, 10)


def test_approval_elects_the_most_approved() -> None:
    result = approval(
        Rules("approval"),
        Cast("ann", 2, {"approve": ["a", "b"]}),
        Cast("bea", 1, {"approve": ["b"]}),
    )
    assert result.passed and result.winners == ("b",) and not result.tie
    assert result.figures == {"approvals": {"a": 2, "b": 3, "c": 0}, "ballots": 3}
    assert result.reason == "elected b by approval weight"


def test_approval_tie_at_the_cut_is_broken_by_tie_order_and_reported() -> None:
    casts = (Cast("ann", 1, {"approve": ["a", "c"]}), Cast("bea", 1, {"approve": ["b", "c"]}))
    result = approval(Rules("approval", seats=2), *casts)
    assert result.winners == ("c", "a")
    assert result.tie and result.tied == ("a", "b")
    assert result.reason == (
        "elected c, a by approval weight; a, b tied at 1 for the last seat,"
        " broken by the status_quo tie order"
    )
    seeded = Rules("approval", seats=2, tie_break="seeded", seed="proposal-7")
    first = tie_order(seeded, ["a", "b"])[0]
    assert approval(seeded, *casts).winners == ("c", first)


def test_approval_ties_inside_the_winners_are_not_ties() -> None:
    casts = (Cast("ann", 1, {"approve": ["a", "b"]}), Cast("bea", 1, {"approve": ["a", "b", "c"]}))
    result = approval(Rules("approval", seats=2), *casts)
    assert result.winners == ("a", "b") and not result.tie and result.tied == ()


def test_an_option_nobody_approved_never_wins() -> None:
    result = approval(Rules("approval", seats=2), Cast("ann", 1, {"approve": ["b"]}))
    assert result.winners == ("b",)
    empty = approval(Rules("approval"), Cast("ann", 1, {"approve": []}))
    assert not empty.passed and empty.reason == "no option has a positive approval weight"


def test_approval_check() -> None:
    rules = Rules("approval", max_approvals=2)
    not_a_list: Any = {"approve": "a"}
    assert cardinal.check_approval(rules, OPTIONS, {"approve": ["a", "b"]}) is None
    assert cardinal.check_approval(rules, OPTIONS, not_a_list) == "bad_ballot"
    assert cardinal.check_approval(rules, OPTIONS, {"approve": [1]}) == "bad_ballot"
    assert cardinal.check_approval(rules, OPTIONS, {"approve": [], "x": 1}) == "bad_ballot"
    assert cardinal.check_approval(rules, OPTIONS, {"approve": ["z"]}) == "unknown_option"
    assert cardinal.check_approval(rules, OPTIONS, {"approve": ["a", "a"]}) == "duplicate_option"
    assert cardinal.check_approval(rules, OPTIONS, {"approve": ["a", "b", "c"]}) == (
        "too_many_approvals"
    )


def test_score_totals_averages_and_tie() -> None:
    casts = [
        Cast("ann", 2, {"scores": {"a": 3, "b": 1}}),
        Cast("bea", 1, {"scores": {"a": 1, "b": 5}}),
    ]
    result = cardinal.tally_score(Rules("score"), OPTIONS, casts, 3)
    assert result.figures == {
        "totals": {"a": 7, "b": 7, "c": 0},
        "averages": {"a": "7/3", "b": "7/3", "c": "0/1"},
        "ballots": 3,
    }
    assert result.winners == ("a",) and result.tie and result.tied == ("a", "b")


def test_score_check() -> None:
    rules = Rules("score", score_max=5)
    assert cardinal.check_score(rules, OPTIONS, {"scores": {"a": 0, "b": 5}}) is None
    assert cardinal.check_score(rules, OPTIONS, {"scores": {"a": 6}}) == "score_out_of_range"
    assert cardinal.check_score(rules, OPTIONS, {"scores": {"a": -1}}) == "score_out_of_range"
    assert cardinal.check_score(rules, OPTIONS, {"scores": {"z": 1}}) == "unknown_option"
    assert cardinal.check_score(rules, OPTIONS, {"scores": {"a": True}}) == "bad_ballot"
    assert cardinal.check_score(rules, OPTIONS, {"scores": {"a": 1.5}}) == "bad_ballot"
    assert cardinal.check_score(rules, OPTIONS, {"score": {"a": 1}}) == "bad_ballot"


def test_quadratic_weights_multiply_votes_and_credits() -> None:
    casts = [Cast("ann", 2, {"votes": {"a": 2, "b": -1}}), Cast("bea", 1, {"votes": {"b": 3}})]
    result = cardinal.tally_quadratic(Rules("quadratic", credits=10), OPTIONS, casts, 3)
    assert result.winners == ("a",)
    assert result.figures == {
        "net_votes": {"a": 4, "b": 1, "c": 0},
        "credits_spent": {"a": 8, "b": 11, "c": 0},
        "ballots": 3,
    }


def test_quadratic_only_positive_net_votes_win() -> None:
    casts = [Cast("ann", 1, {"votes": {"a": 1, "b": -2}})]
    result = cardinal.tally_quadratic(Rules("quadratic", credits=9, seats=3), OPTIONS, casts, 1)
    assert result.winners == ("a",)


def test_quadratic_check() -> None:
    rules = Rules("quadratic", credits=10)
    assert cardinal.check_quadratic(rules, OPTIONS, {"votes": {"a": 3, "b": -1}}) is None
    assert cardinal.check_quadratic(rules, OPTIONS, {"votes": {"a": 3, "b": -2}}) == (
        "credits_exceeded"
    )
    assert cardinal.check_quadratic(rules, OPTIONS, {"votes": {"z": 1}}) == "unknown_option"
    assert cardinal.check_quadratic(rules, OPTIONS, {"votes": {"a": "1"}}) == "bad_ballot"
    assert cardinal.check_quadratic(Rules("quadratic"), OPTIONS, {"votes": {"a": 1}}) == (
        "credits_exceeded"
    )


IDS = ["a", "b", "c", "d"]
WEIGHTS = st.integers(1, 3)


def brute_force(
    casts: list[Cast], count: Callable[[Mapping[str, Any]], Mapping[str, int]]
) -> Counter[str]:
    """Totals by expanding every cast into `weight` separate unit ballots."""
    totals: Counter[str] = Counter(dict.fromkeys(IDS, 0))
    for cast in casts:
        for _ in range(cast.weight):
            totals.update(count(cast.ballot))
    return totals


def assert_elected_the_top(result: Tally, totals: Mapping[str, int], seats: int) -> None:
    positive = [option for option in IDS if totals[option] > 0]
    assert len(result.winners) == min(seats, len(positive))
    losers = [option for option in positive if option not in result.winners]
    for winner in result.winners:
        assert totals[winner] > 0
        assert all(totals[winner] >= totals[loser] for loser in losers)
    cut_tied = bool(losers) and max(totals[o] for o in losers) == totals[result.winners[-1]]
    assert result.tie == cut_tied


OPTIONS4 = [Option(i) for i in IDS]
SEATS = st.integers(1, 3)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(WEIGHTS, st.sets(st.sampled_from(IDS))), max_size=6), SEATS)
def test_approval_totals_match_brute_force(ballots: list[tuple[int, set[str]]], seats: int) -> None:
    casts = [Cast(f"v{i}", w, {"approve": sorted(ids)}) for i, (w, ids) in enumerate(ballots)]
    result = cardinal.tally_approval(Rules("approval", seats=seats), OPTIONS4, casts, 99)
    totals = brute_force(casts, lambda b: dict.fromkeys(b["approve"], 1))
    assert result.figures["approvals"] == dict(totals)
    assert_elected_the_top(result, totals, seats)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(WEIGHTS, st.dictionaries(st.sampled_from(IDS), st.integers(0, 5))), max_size=6
    ),
    SEATS,
)
def test_score_totals_match_brute_force(
    ballots: list[tuple[int, dict[str, int]]], seats: int
) -> None:
    casts = [Cast(f"v{i}", w, {"scores": scores}) for i, (w, scores) in enumerate(ballots)]
    result = cardinal.tally_score(Rules("score", seats=seats), OPTIONS4, casts, 99)
    totals = brute_force(casts, lambda b: b["scores"])
    assert result.figures["totals"] == dict(totals)
    assert_elected_the_top(result, totals, seats)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(WEIGHTS, st.dictionaries(st.sampled_from(IDS), st.integers(-3, 3))), max_size=6
    ),
    SEATS,
)
def test_quadratic_totals_match_brute_force(
    ballots: list[tuple[int, dict[str, int]]], seats: int
) -> None:
    casts = [Cast(f"v{i}", w, {"votes": votes}) for i, (w, votes) in enumerate(ballots)]
    result = cardinal.tally_quadratic(
        Rules("quadratic", seats=seats, credits=36), OPTIONS4, casts, 99
    )
    net = brute_force(casts, lambda b: b["votes"])
    spent = brute_force(casts, lambda b: {o: v * v for o, v in b["votes"].items()})
    assert result.figures["net_votes"] == dict(net)
    assert result.figures["credits_spent"] == dict(spent)
    assert_elected_the_top(result, net, seats)
