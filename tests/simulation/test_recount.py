"""Past proposals counted again under another decision policy, worked out by hand."""

from __future__ import annotations

from dataclasses import replace

from p2pvalue.governance.methods import Option
from p2pvalue.governance.proposals import Ballot, Proposal
from p2pvalue.governance.types import DecisionPolicy
from p2pvalue.simulation.recount import recount

VOTERS = ("did:key:zA", "did:key:zB", "did:key:zC")


def closed(choices: tuple[str, ...], policy: DecisionPolicy, outcome: str) -> Proposal:
    ballots = {voter: Ballot({"choice": choice}, f"e{n}", n)
               for n, (voter, choice) in enumerate(zip(VOTERS, choices, strict=True))}  # fmt: skip
    return Proposal(
        id="p1", author=VOTERS[0], kind="general", title="Buy a 3D printer", body="",
        action={"type": "none"}, options=(), created_ts=0, status="enacted", policy=policy,
        eligible=frozenset(VOTERS), ballots=ballots, outcome=outcome,
    )  # fmt: skip


def test_two_yes_of_three_pass_a_majority_and_fail_a_two_thirds_rule() -> None:
    majority = DecisionPolicy(method="majority")
    proposal = closed(("yes", "yes", "no"), majority, "passed")
    # Support 2/3 exceeds 1/2; a threshold of 2/3 must be strictly exceeded, so it fails.
    [found] = recount([(proposal, {})], {"general": DecisionPolicy(method="majority",
                                                                  threshold="2/3")})  # fmt: skip
    assert (found.passed_before, found.passed_after, found.changed) == (True, False, True)
    [same] = recount([(proposal, {})], {"default": DecisionPolicy(method="majority",
                                                                  threshold="3/5")})  # fmt: skip
    assert (same.passed_after, same.changed, same.unreadable) == (True, False, 0)


def test_a_quorum_of_everyone_rejects_what_two_voters_passed() -> None:
    proposal = closed(("yes", "yes", "abstain"), DecisionPolicy(method="majority"), "passed")
    kept = {voter: ballot for voter, ballot in proposal.ballots.items() if voter != VOTERS[2]}
    proposal = replace(proposal, ballots=kept)
    [found] = recount([(proposal, {})], {"general": DecisionPolicy(method="majority",
                                                                  quorum="1")})  # fmt: skip
    assert found.changed and not found.passed_after


def test_ballots_a_ranked_method_cannot_read_are_left_out_and_counted() -> None:
    proposal = closed(("yes", "no", "yes"), DecisionPolicy(method="majority"), "passed")
    proposal = replace(proposal, options=(Option("a"), Option("b")))
    [found] = recount([(proposal, {})], {"general": DecisionPolicy(method="approval")})
    assert found.unreadable == 3 and found.method_after == "approval"


def test_kinds_no_policy_names_are_not_recounted() -> None:
    proposal = closed(("yes", "yes", "no"), DecisionPolicy(method="majority"), "passed")
    assert recount([(proposal, {})], {"budget": DecisionPolicy(method="majority")}) == []
