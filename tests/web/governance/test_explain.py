"""A count said in words: the votes, who took part, and support against what is needed."""

from __future__ import annotations

from p2pvalue.web.governance.explain import count_words

MAJORITY = {"yes": 1, "no": 2, "abstain": 0, "block": 0, "cast": 3, "eligible": 4,
            "support": "1/3", "threshold": "1/2"}  # fmt: skip


def test_a_rejected_majority_says_how_far_support_fell_short() -> None:
    result = {"outcome": "rejected", "figures": MAJORITY}
    assert count_words(result, closed=True) == (
        "Rejected: 1 yes, 2 no, 0 abstaining, 0 blocking, with 3 of 4 voting;"
        " support of 33 % is not over the 50 % needed."
    )


def test_an_open_tally_speaks_of_how_it_stands_and_a_choice_count_only_of_its_outcome() -> None:
    passing = {"outcome": "passed", "figures": MAJORITY | {"yes": 3, "no": 0, "support": "1/1"}}
    assert count_words(passing, closed=False).startswith("As it stands it would pass: 3 yes")
    assert count_words({"outcome": "passed", "figures": {"approvals": {}}}, True) == "Passed."
