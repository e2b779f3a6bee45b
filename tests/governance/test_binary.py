"""Majority, consent and lazy consensus (governance/methods/binary.py).

Worked examples, checkable by hand:

- 3 yes, 1 no: support 3/4 > 1/2, passes. 2 yes, 2 no: support 1/2, a tie the status quo wins.
- Quorum 2/5 of 10: 3 taking part is short of the 4 needed; an abstention makes it 4.
- A block (veto on) with override 4/5: 9 yes + 1 block is 9/10 and overrides; 8 yes, 1 no,
  1 block is exactly 4/5, a tie, rejected.
- 10 eligible, 6 yes cast: even 4 more against leave 6/10 > 1/2, so majority is decided early.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from p2pvalue.governance.methods import binary
from p2pvalue.governance.methods.base import Cast, Rules, Tally


def vote(choice: str, weight: int = 1, reason: str = "", voter: str = "v") -> Cast:
    ballot: dict[str, Any] = {"choice": choice}
    if reason:
        ballot["reason"] = reason
    return Cast(voter, weight, ballot)


def votes(**weights: int) -> list[Cast]:
    """One unit-weight cast per vote, e.g. votes(yes=3, no=1); blocks and no's give reasons."""
    return [
        vote(choice, reason="because" if choice in ("no", "block") else "")
        for choice, n in weights.items()
        for _ in range(n)
    ]


def tally(rules: Rules, casts: list[Cast], eligible: int) -> Tally:
    return binary.tally(rules, [], casts, eligible)


MAJORITY = Rules("majority")


def test_majority_passes_strictly_above_the_threshold() -> None:
    result = tally(MAJORITY, votes(yes=3, no=1), 4)
    assert result.passed and not result.tie
    assert result.reason == "support 3/4 exceeds 1/2"
    assert result.figures["support"] == "3/4"
    assert result.figures["participation"] == "1/1"


def test_majority_exact_tie_goes_to_the_status_quo() -> None:
    result = tally(MAJORITY, votes(yes=2, no=2), 4)
    assert not result.passed
    assert result.tie and result.tied == ("yes", "no")
    assert result.reason == "support 1/2 equals the threshold: status quo wins a tie"


def test_a_two_thirds_threshold_is_a_tie_at_exactly_two_thirds() -> None:
    rules = Rules("majority", threshold=Fraction(2, 3))
    assert tally(rules, votes(yes=2, no=1), 3).tie
    assert tally(rules, votes(yes=3, no=1), 4).passed


def test_quorum_counts_abstentions_and_says_what_was_missing() -> None:
    rules = Rules("majority", quorum=Fraction(2, 5))
    short = tally(rules, votes(yes=3), 10)
    assert not short.passed
    assert short.reason == "quorum not met: 3 of 10 took part, 4 needed"
    assert tally(rules, votes(yes=3, abstain=1), 10).passed


def test_nobody_eligible_never_meets_a_quorum() -> None:
    result = tally(MAJORITY, [], 0)
    assert not result.passed
    assert result.reason == "quorum not met: nobody is eligible"


def test_weights_count_as_that_many_ballots() -> None:
    result = tally(MAJORITY, [vote("yes", weight=3), vote("no"), vote("no")], 5)
    assert result.passed
    assert (result.figures["yes"], result.figures["no"], result.figures["support"]) == (3, 2, "3/5")


def test_abstentions_alone_reject() -> None:
    result = tally(MAJORITY, votes(abstain=2), 2)
    assert not result.passed and result.reason == "nobody voted yes or no"


def test_majority_block_with_veto_and_no_override_rejects() -> None:
    result = tally(Rules("majority", veto=True), votes(yes=8, block=1), 9)
    assert not result.passed
    assert result.reason == "blocked by 1; no override is allowed"


def test_majority_block_is_overridden_only_strictly_above_the_line() -> None:
    rules = Rules("majority", veto=True, veto_override=Fraction(4, 5))
    overridden = tally(rules, votes(yes=9, block=1), 10)
    assert overridden.passed
    assert overridden.reason == "blocked by 1: support 9/10 exceeds the override line 4/5"
    at_line = tally(rules, votes(yes=8, no=1, block=1), 10)
    assert not at_line.passed and at_line.tie
    assert (
        at_line.reason
        == "blocked by 1: support 4/5 equals the override line: status quo wins a tie"
    )


def test_consent_passes_with_stand_asides_and_fails_on_a_block() -> None:
    rules = Rules("consent")
    given_ = tally(rules, votes(yes=1, no=2, abstain=1), 4)
    assert given_.passed and given_.reason == "no blocks: consent given, 3 stood aside"
    blocked = tally(rules, votes(yes=3, block=1), 4)
    assert not blocked.passed and blocked.reason == "blocked by 1; no override is allowed"


def test_consent_quorum_applies_only_when_set() -> None:
    assert tally(Rules("consent"), [], 10).passed
    short = tally(Rules("consent", quorum=Fraction(1, 2)), votes(yes=4), 10)
    assert short.reason == "quorum not met: 4 of 10 took part, 5 needed"


def test_consent_block_override() -> None:
    rules = Rules("consent", veto_override=Fraction(2, 3))
    assert tally(rules, votes(yes=3, block=1), 4).passed
    assert not tally(rules, votes(yes=2, no=1, block=1), 4).passed


def test_lazy_consensus_stops_only_on_a_reasoned_minus_one() -> None:
    rules = Rules("lazy_consensus")
    assert tally(rules, votes(yes=1), 5).reason == "no reasoned objection (-1)"
    stopped = tally(rules, [vote("yes"), vote("no", reason="breaks the build")], 5)
    assert not stopped.passed
    assert stopped.reason == "objected to (-1) by 1; no override is allowed"
    assert tally(rules, [vote("yes"), vote("no")], 5).passed
    assert not tally(rules, votes(block=1), 5).passed


def test_check_refuses_malformed_ballots() -> None:
    not_a_mapping: Any = ["yes"]
    for ballot in (
        {}, {"choice": "maybe"}, {"choice": "yes", "extra": 1}, {"choice": "yes", "reason": 5},
        {"choice": "yes", "reason": "x" * 2001}, not_a_mapping,
    ):  # fmt: skip
        assert binary.check(MAJORITY, [], ballot) == "bad_ballot", ballot
    assert binary.check(MAJORITY, [], {"choice": "yes", "reason": "x" * 2000}) is None


def test_check_blocks_need_a_veto_and_a_reason() -> None:
    veto = Rules("majority", veto=True)
    assert binary.check(MAJORITY, [], {"choice": "block", "reason": "r"}) == "block_not_allowed"
    assert binary.check(veto, [], {"choice": "block", "reason": "r"}) is None
    assert binary.check(veto, [], {"choice": "block"}) == "reason_required"
    assert binary.check(Rules("consent"), [], {"choice": "block", "reason": "  "}) == (
        "reason_required"
    )


def test_check_lazy_consensus_no_needs_a_reason() -> None:
    lazy = Rules("lazy_consensus")
    assert binary.check(lazy, [], {"choice": "no"}) == "reason_required"
    assert binary.check(lazy, [], {"choice": "no", "reason": "tests fail"}) is None
    assert binary.check(MAJORITY, [], {"choice": "no"}) is None
    assert binary.check(Rules("consent"), [], {"choice": "no"}) is None


def test_decided_early_by_hand() -> None:
    assert binary.decided_early(MAJORITY, votes(yes=6), 10)
    assert not binary.decided_early(MAJORITY, votes(yes=5), 10)
    assert binary.decided_early(MAJORITY, votes(no=5), 10)
    veto = Rules("majority", veto=True)
    assert not binary.decided_early(veto, votes(yes=9), 10)
    assert binary.decided_early(veto, votes(yes=8, block=1), 10)
    assert not binary.decided_early(Rules("consent"), votes(yes=9), 10)
    assert binary.decided_early(Rules("consent"), votes(block=1), 10)
    override = Rules("lazy_consensus", veto_override=Fraction(1, 2))
    assert not binary.decided_early(override, votes(no=1), 10)
    assert binary.decided_early(override, votes(no=6), 10)


BALLOTS: list[dict[str, Any]] = [
    {"choice": "yes"}, {"choice": "no"}, {"choice": "no", "reason": "r"}, {"choice": "abstain"},
    {"choice": "block", "reason": "r"},
]  # fmt: skip
FRACTIONS = st.sampled_from(
    [Fraction(0), Fraction(1, 4), Fraction(1, 2), Fraction(2, 3), Fraction(1)]
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Rules, list[Cast], int]:
    rules = Rules(
        draw(st.sampled_from(sorted(binary.TALLIES))),
        quorum=draw(FRACTIONS),
        threshold=draw(st.sampled_from([Fraction(1, 2), Fraction(2, 3)])),
        threshold_of=draw(st.sampled_from(["cast", "eligible"])),
        veto=draw(st.booleans()),
        veto_override=draw(st.none() | FRACTIONS),
    )
    allowed = [b for b in BALLOTS if binary.check(rules, [], b) is None]
    casts = [
        Cast(f"v{i}", draw(st.integers(1, 3)), draw(st.sampled_from(allowed)))
        for i in range(draw(st.integers(0, 4)))
    ]
    return rules, casts, sum(c.weight for c in casts) + draw(st.integers(0, 4))


def outcomes(rules: Rules, casts: list[Cast], eligible: int) -> set[bool]:
    """`passed` under every way the weight not yet cast could still vote, one unit at a time."""
    left = eligible - sum(c.weight for c in casts)
    menu: list[dict[str, Any] | None] = [b for b in BALLOTS if binary.check(rules, [], b) is None]
    menu.append(None)
    return {
        tally(
            rules, casts + [Cast(f"late{i}", 1, b) for i, b in enumerate(way) if b], eligible
        ).passed
        for way in itertools.product(menu, repeat=left)
    }


@settings(max_examples=150, deadline=None)
@given(cases())
def test_decided_early_is_exactly_when_no_late_ballot_matters(
    case: tuple[Rules, list[Cast], int],
) -> None:
    rules, casts, eligible = case
    possible = outcomes(rules, casts, eligible)
    decided = binary.decided_early(rules, casts, eligible)
    if decided:
        assert len(possible) == 1
    if rules.method == "majority":
        assert decided == (len(possible) == 1)
    else:
        assert decided == (possible == {False})


@settings(max_examples=150, deadline=None)
@given(cases())
def test_outcome_invariants(case: tuple[Rules, list[Cast], int]) -> None:
    rules, casts, eligible = case
    result = tally(rules, casts, eligible)
    assert not (result.tie and result.passed)
    assert result.tied == (("yes", "no") if result.tie else ())
    if result.passed and rules.method == "majority":
        assert Fraction(result.figures["support"]) > rules.threshold
        if rules.threshold_of == "eligible":
            assert Fraction(result.figures["yes_of_eligible"]) > rules.threshold
    if result.passed and rules.veto_override is None and (rules.veto or rules.method != "majority"):
        assert result.figures["block"] == 0
    one_more_yes = [*casts, vote("yes", voter="late")]
    assert not result.passed or tally(rules, one_more_yes, eligible + 1).passed
