"""Pages of claims: forward with `after`, back with `before`, through filters, and refusals."""

from __future__ import annotations

import pytest

from p2pvalue.accounting.model import Claim
from p2pvalue.errors import P2PError
from p2pvalue.web.value.listing import ClaimFilter, claim_page


def claim(number: int, status: str = "pending", kind: str = "docs") -> Claim:
    return Claim(
        id=f"c{number}", author="did:a", kind=kind, description="", quantity=1, unit="hours",
        currency=None, paid=False, ts=number, when=number, evidence=(), project=None,
        shares={"did:a": 10_000}, status=status,
    )  # fmt: skip


CLAIMS = [claim(n, "accepted" if n % 2 else "pending") for n in range(5, 0, -1)]  # c5 … c1
EVERY = ClaimFilter()


def ids(claims: list[Claim]) -> list[str]:
    return [c.id for c in claims]


def test_pages_forward_and_back_meet_in_the_middle() -> None:
    first = claim_page(CLAIMS, EVERY, 2)
    assert (ids(first.claims), first.previous, first.next, first.start) == (
        ["c5", "c4"], None, "c4", 0)  # fmt: skip
    second = claim_page(CLAIMS, EVERY, 2, after="c4")
    assert (ids(second.claims), second.previous, second.next, second.start) == (
        ["c3", "c2"], "c3", "c2", 2)  # fmt: skip
    last = claim_page(CLAIMS, EVERY, 2, after="c2")
    assert (ids(last.claims), last.previous, last.next) == (["c1"], "c1", None)
    back = claim_page(CLAIMS, EVERY, 2, before="c1")
    assert (ids(back.claims), back.previous, back.next) == (["c3", "c2"], "c3", "c2")
    assert ids(claim_page(CLAIMS, EVERY, 2, before="c3").claims) == ["c5", "c4"]
    assert (first.total, first.statuses["accepted"], first.statuses["pending"]) == (5, 3, 2)


def test_a_cursor_the_filter_leaves_out_still_marks_the_place() -> None:
    accepted = ClaimFilter(status="accepted")
    after_c4 = claim_page(CLAIMS, accepted, 10, after="c4")
    assert (ids(after_c4.claims), after_c4.total, after_c4.start) == (["c3", "c1"], 3, 1)
    assert ids(claim_page(CLAIMS, accepted, 10, before="c2").claims) == ["c5", "c3"]
    assert claim_page(CLAIMS, ClaimFilter(kind="code"), 10).claims == []


@pytest.mark.parametrize(
    ("limit", "after", "before", "code"),
    [(0, None, None, "invalid_request"), (101, None, None, "invalid_request"),
     (10, "c9", None, "unknown_cursor"), (10, None, "c9", "unknown_cursor"),
     (10, "c1", "c2", "invalid_request")],
)  # fmt: skip
def test_refusals(limit: int, after: str | None, before: str | None, code: str) -> None:
    with pytest.raises(P2PError) as refused:
        claim_page(CLAIMS, EVERY, limit, after, before)
    assert (refused.value.code, refused.value.status) == (code, 422)
