"""The value forms read as typed: each problem in a member's words, next to its field."""

from __future__ import annotations

from p2pvalue.web.value.forms import ClaimForm, Errors, read_amount, read_currency

ME, BOB = "did:key:z6MkMe", "did:key:z6MkBob"
MEMBERS = {"bob": BOB, BOB: BOB, "me": ME, ME: ME}


def test_a_claim_with_a_co_author_by_username_gives_shares_in_basis_points() -> None:
    form = ClaimForm("code", "Fixed it", "3", "hours", "", "abc\n\n def ", "66.67", ["@bob"],
                     ["33.33"])  # fmt: skip
    content, errors = form.content(ME, MEMBERS, ["code"])
    assert errors == {}
    assert content == {"kind": "code", "unit": "hours", "description": "Fixed it",
                       "quantity": 3, "evidence": ["abc", "def"],
                       "contributors": [{"member": ME, "share": 6667},
                                        {"member": BOB, "share": 3333}]}  # fmt: skip


def test_each_problem_of_a_claim_is_said_next_to_its_field() -> None:
    form = ClaimForm("cod", " ", "3.5", "hours", "", "", "70", ["bobb", "me"], ["30", "x"])
    content, errors = form.content(ME, MEMBERS, ["code"])
    assert content is None
    assert errors == {
        "kind": "Pick one of the kinds of work this space counts.",
        "description": "Say what you did, in a sentence or two.",
        "quantity": "Give the hours as a whole number from 1 to 100000, like 3.",
        "co_member-1": "Nobody called “bobb” is a member of this space.",
        "co_member-2": "That is you: put your own share in “Your share”.",
        "co_share-2": "Write a share as a percentage, like 25 or 33.33.",
    }


def test_shares_that_do_not_add_up_are_said_in_percent() -> None:
    _, errors = ClaimForm("code", "x", "1", "hours", my_share="60", co_members=["bob"],
                          co_shares=["30"]).content(ME, MEMBERS, ["code"])  # fmt: skip
    assert errors == {"my_share": "The shares add up to 90 %; they must add up to 100 %."}


def test_amounts_are_read_in_currency_units_and_refused_in_words() -> None:
    errors: Errors = {}
    assert read_amount("12,50", read_currency("eur", errors), errors) == 1250
    assert errors == {}
    for text, currency, said in (
        ("12.345", "EUR", "EUR amounts have at most 2 decimals, like 12.50."),
        ("12.5", "JPY", "JPY amounts are whole numbers, like 1250."),
        ("twelve", "EUR", "Write the amount as a number, like 12.50."),
        ("0", "EUR", "The amount must be more than 0."),
    ):
        errors = {}
        read_amount(text, currency, errors)
        assert errors == {"amount": said}
    errors = {}
    assert read_currency("euro", errors) == "EURO"
    assert errors == {"currency": "“euro” is not a currency this node knows: use a three-letter "
                                  "code like EUR or USD."}  # fmt: skip
