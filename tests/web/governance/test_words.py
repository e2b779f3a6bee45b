"""Governance in words: policies, actions, charter diffs and a count's figures."""

from __future__ import annotations

from p2pvalue.governance.methods import Option
from p2pvalue.governance.types import DecisionPolicy
from p2pvalue.web.governance.words import (
    Change,
    action_words,
    figures_of,
    json_diff,
    policy_words,
    with_labels,
)

OPTIONS = (Option("a", "Apples"), Option("b", "Beans"))


def test_a_policy_reads_as_one_sentence_per_rule() -> None:
    policy = DecisionPolicy(method="consent", voters="steward", window_hours=48, secret=True,
                            veto_override="3/4", review_days=90)  # fmt: skip
    assert policy_words(policy) == [
        "Decided by consent: passes unless someone blocks.",
        "Who votes: members holding the role steward; who proposes: every member.",
        "Weights: one member, one vote.",
        "Quorum: none.",
        "Voting is open for 48 hours (2 days).",
        "Members who have not voted are reminded 24 hours before it closes.",
        "A reasoned block (veto) rejects it, unless support exceeds 3/4.",
        "Secret ballot: sealed until voting ends, then revealed within 24 hours.",
        "Reviewed 90 days after it is enacted.",
        "Members may delegate their vote.",
        "Ties are broken by the status quo rule.",
    ]


def test_actions_name_members_and_amounts() -> None:
    grant = {"type": "role.grant", "member": "did:key:z1", "role": "moderator"}
    assert action_words(grant, {"did:key:z1": "carol"}) == "Grant the role moderator to carol."
    spend = {"type": "treasury.spend", "amount": 1250, "currency": "EUR", "to": "Shop"}
    assert action_words(spend, {}) == "Spend 12.50 EUR to Shop."


def test_a_diff_lists_each_changed_leaf_by_path() -> None:
    before = {"membership": "open", "decisions": {"default": {"method": "majority"}}, "x": [1]}
    after = {"membership": "open", "decisions": {"default": {"method": "consent"},
             "charter": {"method": "majority"}}}  # fmt: skip
    assert json_diff(before, after) == [
        Change("decisions.charter.method", None, "majority"),
        Change("decisions.default.method", "majority", "consent"),
        Change("x", "[1]", None),
    ]


def test_labels_replace_whole_option_ids_only() -> None:
    assert with_labels("b beats a; abba stays", OPTIONS, {}) == "Beans beats Apples; abba stays"


def test_figures_lay_out_per_option_columns_and_rounds_most_votes_first() -> None:
    laid = figures_of(
        {"ballots": 3, "totals": {"a": 4, "b": 9}, "rounds": [{"tallies": {"a": "1/1", "b": "5/3"},
                                                               "elected": ["b"]}]},
        OPTIONS, {},
    )  # fmt: skip
    assert laid.scalars == [("ballots", "3")]
    assert (laid.columns, laid.rows) == (["total score"], [("Apples", ["4"]), ("Beans", ["9"])])
    assert laid.rounds == ["Round 1: Beans 5/3, Apples 1; elected Beans"]
