"""The governance forms read into proposal content and ballots, for every action and method."""

from __future__ import annotations

import pytest

from p2pvalue.errors import P2PError
from p2pvalue.web.governance.forms import (
    BallotForm,
    ProposalForm,
    ballot_of,
    option_lines,
    proposal_content,
)

ANN = "did:key:z6MkAnn"
BEN = "did:key:z6MkBen"


def test_options_are_typed_one_per_line_with_distinct_ids_and_costs() -> None:
    assert option_lines("Laser cutter | 1200\n\n  Laser  cutter \nÜber!") == [
        {"id": "laser-cutter", "label": "Laser cutter", "cost": 1200},
        {"id": "laser-cutter-2", "label": "Laser  cutter"},
        {"id": "ber", "label": "Über!"},
    ]


def test_each_action_type_reads_its_own_fields() -> None:
    spend = ProposalForm(action="treasury.spend", title=" Printer ", amount="12.5",
                         currency="eur", to="Shop", draft="on")  # fmt: skip
    assert proposal_content(spend, {}) == {
        "title": "Printer", "body": "", "draft": True,
        "action": {"type": "treasury.spend", "amount": 1250, "currency": "EUR", "to": "Shop"},
    }  # fmt: skip
    election = ProposalForm(action="election", title="Stewards", role="moderator",
                            candidate=[ANN, BEN, ANN])  # fmt: skip
    assert proposal_content(election, {ANN: "ann"})["options"] == [
        {"id": ANN, "label": "ann"}, {"id": BEN},
    ]  # fmt: skip
    admit = ProposalForm(action="member.admit", title="t", member=ANN, member_did=f" {BEN} ")
    assert proposal_content(admit, {})["action"] == {"type": "member.admit", "member": BEN}
    text = ProposalForm(action="text", title="t", kind="budget", options="A | 5")
    assert proposal_content(text, {})["kind"] == "budget"


@pytest.mark.parametrize(
    ("form", "code"),
    [
        (ProposalForm(action="charter.amend", title="t", patch="{nope"), "malformed_json"),
        (ProposalForm(action="charter.amend", title="t", patch="[1]"), "malformed_json"),
        (ProposalForm(action="treasury.spend", title="t", amount="1.234", currency="EUR"),
         "too_many_decimals"),
        (ProposalForm(action="text", title="  "), "invalid_content"),
        (ProposalForm(action="dance", title="t"), "invalid_content"),
    ],
)  # fmt: skip
def test_what_cannot_be_shaped_is_refused_with_a_code(form: ProposalForm, code: str) -> None:
    with pytest.raises(P2PError) as refused:
        proposal_content(form, {})
    assert refused.value.code == code


def test_each_method_gets_the_ballot_shape_it_counts() -> None:
    numbers = BallotForm(option=["a", "b", "c"], points=["3", "0", ""])
    assert ballot_of("score", numbers) == {"scores": {"a": 3, "b": 0}}
    assert ballot_of("dot", numbers) == {"dots": {"a": 3}}
    assert ballot_of("quadratic", BallotForm(option=["a", "b"], points=["-2", "1"])) == {
        "votes": {"a": -2, "b": 1}
    }
    assert ballot_of("stv", BallotForm(rank=["b", "", "a"])) == {"ranking": ["b", "a"]}
    assert ballot_of("equal_shares", BallotForm(approve=["a"])) == {"approve": ["a"]}
    assert ballot_of("consent", BallotForm(choice="block", reason=" no ")) == {
        "choice": "block", "reason": "no",
    }  # fmt: skip
    with pytest.raises(P2PError, match="whole number"):
        ballot_of("score", BallotForm(option=["a"], points=["2.5"]))
    with pytest.raises(P2PError, match="choose"):
        ballot_of("majority", BallotForm())


def test_a_meeting_ballot_pairs_each_time_with_its_mark() -> None:
    form = BallotForm(option=["2026-12-10T09:00Z", "2026-12-10T15:00Z"],
                      availability=["if_need_be", "no"])  # fmt: skip
    assert ballot_of("meeting", form) == {
        "availability": {"2026-12-10T09:00Z": "if_need_be", "2026-12-10T15:00Z": "no"}
    }
    assert [o["id"] for o in option_lines("2026-12-10T09:00Z\nTuesday lunch")] == [
        "2026-12-10T09:00Z",
        "tuesday-lunch",
    ]
