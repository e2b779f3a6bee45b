"""Thresholds of the eligible weight, closing once every eligible voter has voted, and the
charter refusing a basis its method cannot use.

Worked examples, checkable by hand:

- 10 eligible, 6 vote, 5 yes and 1 no, threshold 3/4: of the votes cast support is 5/6 > 3/4
  and it passes; of the eligible weight yes is 5/10 = 1/2, not above 3/4, and it fails.
- 10 eligible, threshold 1/2 of eligible: 5 yes is exactly 1/2, a tie the status quo wins;
  6 yes is 6/10 and passes, and is settled early, since no against-vote lowers yes / 10.
- 4 members, all vote: with `close_when_all_voted` any member closes at once; without it, or
  with one ballot missing, the close is refused as `window_open`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from events.helpers import ALICE, BOB, CAROL, DAVE, T0, authority
from governance.test_binary import tally, vote, votes
from governance.test_lifecycle import HOUR, Community
from p2pvalue.errors import EventError
from p2pvalue.events.charter import charter_from_content
from p2pvalue.governance.enact import decision_policy
from p2pvalue.governance.methods import binary
from p2pvalue.governance.methods.base import Rules
from p2pvalue.governance.proposals import proposals_of
from p2pvalue.governance.templates import default_charter
from p2pvalue.governance.types import DecisionPolicy
from p2pvalue.web.governance.words import policy_words

OF_CAST = Rules("majority", threshold=Fraction(3, 4))
OF_ELIGIBLE = Rules("majority", threshold=Fraction(3, 4), threshold_of="eligible")
TEXT = {"type": "text"}


def test_three_quarters_of_cast_passes_where_three_quarters_of_eligible_fails() -> None:
    cast = tally(OF_CAST, votes(yes=5, no=1), 10)
    eligible = tally(OF_ELIGIBLE, votes(yes=5, no=1), 10)
    assert cast.passed and cast.reason == "support 5/6 exceeds 3/4"
    assert not eligible.passed and not eligible.tie
    assert eligible.reason == "yes of the eligible weight 1/2 does not exceed 3/4"
    assert (eligible.figures["threshold_of"], eligible.figures["yes_of_eligible"]) == (
        "eligible",
        "1/2",
    )
    assert "threshold_of" not in cast.figures  # a count under today's basis reads as before
    assert tally(OF_ELIGIBLE, votes(yes=8, no=1), 10).reason == (
        "yes of the eligible weight 4/5 exceeds 3/4"
    )


def test_exactly_on_the_eligible_line_is_a_tie_and_settled_early_once_above() -> None:
    half = Rules("majority", threshold_of="eligible")
    tied = tally(half, votes(yes=5), 10)
    assert not tied.passed and tied.tie
    assert (
        tied.reason == "yes of the eligible weight 1/2 equals the threshold: status quo wins a tie"
    )
    assert binary.decided_early(half, votes(yes=6), 10)
    assert not binary.decided_early(half, votes(yes=5), 10)


def test_weights_count_towards_the_eligible_share() -> None:
    weighted = [*votes(no=1), vote("yes", weight=7)]
    assert (
        tally(OF_ELIGIBLE, weighted, 10).reason
        == "yes of the eligible weight 7/10 does not exceed 3/4"
    )


def test_a_vote_counts_the_threshold_of_the_eligible_voters_frozen_at_opening() -> None:
    """Four members, three yes and nobody against: 3/3 of cast, but 3/4 of eligible is a tie."""
    for basis, outcome in (("cast", "passed"), ("eligible", "rejected")):
        c = Community(threshold="3/4", threshold_of=basis)
        proposal = c.propose(TEXT)
        for who in (ALICE, BOB, CAROL):
            c.vote(who, proposal, "yes", T0 + HOUR + 1)
        closed = c.close(proposal, outcome, T0 + 2 * HOUR)
        log = c.decided()
        assert log.reasons[closed.id] is None
        assert proposals_of(authority(log))[proposal.id].outcome == outcome


def close_by(c: Community, who: Any, proposal: Any, outcome: str, ts: int) -> Any:
    content = {"proposal": proposal.id, "outcome": outcome, "winners": []}
    return c.do(who, "proposal.close", content, ts)


def test_any_member_closes_once_every_eligible_voter_has_voted() -> None:
    c = Community(close_when_all_voted=True)
    proposal = c.propose(TEXT)
    for who in (ALICE, BOB, CAROL, DAVE):
        c.vote(who, proposal, "yes" if who != DAVE else "no", T0 + HOUR + 1)
    closed = close_by(c, BOB, proposal, "passed", T0 + HOUR + 2)  # long before the hour ends
    log = c.decided()
    assert log.reasons[closed.id] is None
    found = proposals_of(authority(log))[proposal.id]
    assert (found.status, found.closed_by) == ("enacted", closed.id)


@pytest.mark.parametrize(
    ("flag", "voters"),
    [
        (False, (ALICE, BOB, CAROL, DAVE)),
        (True, (ALICE, BOB, CAROL)),
        (None, (ALICE, BOB, CAROL, DAVE)),
    ],
)
def test_without_the_flag_or_with_a_voter_missing_the_window_stays_open(
    flag: bool | None, voters: tuple[Any, ...]
) -> None:
    c = Community() if flag is None else Community(close_when_all_voted=flag)
    proposal = c.propose(TEXT)
    for who in voters:
        c.vote(who, proposal, "yes", T0 + HOUR + 1)
    early = close_by(c, BOB, proposal, "passed", T0 + HOUR + 2)
    assert c.decided().reasons[early.id] == "window_open"


def test_a_delegates_ballot_does_not_count_as_the_delegators_vote_for_closing() -> None:
    c = Community(close_when_all_voted=True)
    c.do(DAVE, "delegation.set", {"kind": "*", "to": ALICE.did})
    proposal = c.propose(TEXT)
    for who in (ALICE, BOB, CAROL):
        c.vote(who, proposal, "yes", T0 + HOUR + 1)
    early = close_by(c, BOB, proposal, "passed", T0 + HOUR + 2)
    assert c.decided().reasons[early.id] == "window_open"


def charter_with(**policy: Any) -> dict[str, Any]:
    content = default_charter("open")
    content["decisions"] = {"default": policy}
    return content


@pytest.mark.parametrize(
    ("policy", "code"),
    [
        ({"method": "consent", "threshold_of": "eligible"}, "basis_not_used"),
        ({"method": "schulze", "threshold_of": "eligible"}, "basis_not_used"),
        (
            {"method": "majority", "secret": True, "close_when_all_voted": True},
            "all_voted_needs_open_ballots",
        ),
    ],
)
def test_a_charter_refuses_a_basis_its_method_cannot_use(policy: dict[str, Any], code: str) -> None:
    with pytest.raises(EventError) as refused:
        charter_from_content(charter_with(**policy))
    assert refused.value.code == code


def test_existing_charters_keep_their_content_and_meaning() -> None:
    content = charter_with(method="majority", threshold="2/3")
    parsed = charter_from_content(content)
    assert parsed.to_content()["decisions"]["default"] == DecisionPolicy(
        method="majority", threshold="2/3"
    ).model_dump(exclude_none=True)
    assert "threshold_of" not in parsed.to_content()["decisions"]["default"]
    assert charter_from_content(charter_with(method="majority", threshold_of="eligible"))


def test_an_amendment_giving_a_method_an_unusable_basis_is_refused() -> None:
    c = Community()
    patch = {"decisions": {"default": {"method": "consent", "threshold_of": "eligible"}}}
    made = c.propose({"type": "charter.amend", "patch": patch})
    reason = c.decided().reasons[made.id]
    assert reason is not None and reason.startswith("basis_not_used:")


def test_amending_an_eligible_threshold_needs_the_eligible_bar() -> None:
    content = charter_with(method="majority", threshold="1/2")
    content["decisions"]["text"] = {
        "method": "majority",
        "threshold": "1/3",
        "threshold_of": "eligible",
    }
    charter = charter_from_content(content)
    patch = {"decisions": {"text": {"threshold_of": None}}}
    policy = decision_policy(charter, "charter", {"type": "charter.amend", "patch": patch})
    assert policy is not None
    assert (policy.threshold, policy.threshold_of) == ("1/2", "eligible")


def test_the_page_says_the_policy_in_plain_words() -> None:
    policy = DecisionPolicy(
        method="majority", threshold="3/4", threshold_of="eligible", close_when_all_voted=True
    )
    words = policy_words(policy)
    assert "Passes when more than 3/4 (75 %) of the eligible members vote yes." in words
    assert "Any member may close it as soon as every eligible voter has voted." in words
    weighted = policy.model_copy(update={"weight": "reputation", "threshold": "2/3"})
    assert "Passes when more than 2/3 of the eligible weight vote yes." in policy_words(weighted)
    assert "Passes with support over 1/2." in policy_words(DecisionPolicy(method="majority"))
