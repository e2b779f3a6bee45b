"""Health measures against a fixture computed by hand (docs/insight.md defines each one)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from p2pvalue.insight.metrics import (
    absence_factor,
    activity,
    cohorts,
    elephant_factor,
    gini,
    top_share,
)
from p2pvalue.insight.timeline import Contribution, period_of

MONDAY = 1_704_067_200_000  # 2024-01-01, a Monday, 00:00 UTC
DAY = 86_400_000


def made(author: str, kind: str, day: int) -> Contribution:
    return Contribution(author, kind, MONDAY + day * DAY, f"{author}-{kind}-{day}")


# Week 1: alice three claims, bob a task. Week 2: bob a thread reply, carol a review.
# Week 3: nobody. Week 4: alice a ballot.
HISTORY = [
    made("alice", "claims", 0), made("alice", "claims", 1), made("alice", "claims", 6),
    made("bob", "tasks", 2), made("bob", "discussion", 8), made("carol", "reviews", 9),
    made("alice", "governance", 22),
]  # fmt: skip


def test_periods_start_on_monday_and_on_the_first_of_the_month() -> None:
    assert period_of(MONDAY + 6 * DAY + DAY - 1, "week") == "2024-01-01"
    assert period_of(MONDAY + 7 * DAY, "week") == "2024-01-08"
    assert period_of(MONDAY + 40 * DAY, "month") == "2024-02-01"


def test_active_new_returning_and_departed_by_week() -> None:
    rows = activity(HISTORY, "week")
    assert [r.period for r in rows] == ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"]
    table = [(r.active, r.new, r.returning, r.continuing, r.departed) for r in rows]
    assert table == [(2, 2, 0, 0, 0), (2, 1, 0, 1, 1), (0, 0, 0, 0, 2), (1, 0, 1, 0, 0)]
    assert [r.contributions for r in rows] == [4, 2, 0, 1]
    assert [r.absence_factor for r in rows] == [1, 1, 0, 1]
    assert rows[0].by_kind == {"claims": 3, "reviews": 0, "tasks": 1, "discussion": 0,
                               "documents": 0, "governance": 0}  # fmt: skip


def test_by_month_everything_falls_in_january() -> None:
    (january,) = activity(HISTORY, "month")
    assert (january.active, january.new, january.contributions) == (3, 3, 7)


def test_retention_by_cohort() -> None:
    found = cohorts(HISTORY, "week")
    assert [(c.period, c.size, c.retained) for c in found] == [
        ("2024-01-01", 2, (1.0, 0.5, 0.0, 0.5)),  # bob came back in week 2, alice in week 4
        ("2024-01-08", 1, (1.0, 0.0, 0.0)),
    ]


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        ({"a": 5, "b": 3, "c": 1, "d": 1}, 1),  # a alone made half of 10
        ({"a": 4, "b": 3, "c": 3}, 2),  # 4 is short of 5; 4 + 3 is not
        ({"a": Fraction(1, 3), "b": Fraction(1, 3), "c": Fraction(1, 3)}, 2),
        ({"a": 0}, 0),
        ({}, 0),
    ],
)
def test_contributor_absence_factor(amounts: dict[str, int | Fraction], expected: int) -> None:
    assert absence_factor(amounts) == expected


def test_elephant_factor_counts_declared_organisations_only() -> None:
    counts = {"a": 5, "b": 3, "c": 1, "d": 1}
    assert elephant_factor(counts, {"a": "X", "b": "Y", "c": "Y"}) == 1  # X 5 of 9
    assert elephant_factor({"a": 2, "b": 2, "c": 2}, {"a": "X", "b": "Y", "c": "Z"}) == 2
    assert elephant_factor(counts, {}) == 0


def test_gini_and_the_top_tenth() -> None:
    # Mean absolute difference: 3 zeros against one 4, both ways: 24 / (2 * 4**2 * 1).
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert gini([2, 2]) == 0.0
    assert gini([]) == 0.0
    assert gini([1, 2, 3]) == pytest.approx(2 / 9)  # (1+2+1)*2 / (2 * 9 * 2)
    # Eleven holders: the top tenth is the top two, 15 of 20.
    assert top_share([10, 5, 3, 1, 1, 0, 0, 0, 0, 0, 0]) == pytest.approx(0.75)
    assert top_share([3]) == 1.0
