"""A page of a space's claims, for the API listing and the value page alike: at most
`MAX_LIMIT` claims that pass a filter, continuing after (or ending before) a claim named
by its id, with the number of claims that pass and their count per status.

A cursor is a claim's id rather than a position, so a page continues where the last one
ended even when claims were made since, or a concurrent one sorted in before it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p2pvalue.accounting.model import Claim
from p2pvalue.errors import P2PError

STATUSES = ("pending", "disputed", "accepted", "rejected")
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


@dataclass(frozen=True)
class ClaimFilter:
    """Which claims a listing shows; None lets every claim through."""

    status: str | None = None
    member: str | None = None  # a member holding a share of the claim
    kind: str | None = None

    def admits_but_status(self, claim: Claim) -> bool:
        return (self.member is None or self.member in claim.shares) and (
            self.kind is None or claim.kind == self.kind
        )


@dataclass(frozen=True)
class ClaimPage:
    """Claims of one page, in the listing's order, and where they stand in the listing."""

    claims: list[Claim]
    total: int  # claims that pass the filter
    statuses: dict[str, int]  # claims that pass the filter but its status, per status
    start: int  # how many claims that pass come before this page
    next: str | None  # the last claim shown, when more follow: `after` for the next page
    previous: str | None  # the first claim shown, when some come before: `before`


def claim_page(
    claims: Sequence[Claim], chosen: ClaimFilter, limit: int = DEFAULT_LIMIT,
    after: str | None = None, before: str | None = None,
) -> ClaimPage:  # fmt: skip
    """The page of `claims` (in the listing's order) that `chosen` lets through, of at
    most `limit` claims right after the claim `after`, or right before the claim `before`,
    or from the start. Refuses (422) a limit out of 1..MAX_LIMIT, both cursors at once, and
    a cursor naming no claim of `claims`."""
    check_limit(limit)
    if after is not None and before is not None:
        raise P2PError("invalid_request", "give `after` or `before`, not both", 422)
    cursor = after if after is not None else before
    passing, statuses, mark = _scan(claims, chosen, cursor)
    if cursor is not None and mark is None:
        name = "after" if after is not None else "before"
        raise P2PError("unknown_cursor", f"{name}: no claim {cursor[:60]!r} in this space; "
                       "pass the `next` of the page before", 422)  # fmt: skip
    if before is not None:
        end = mark[0] if mark else 0
        start = max(0, end - limit)
    else:
        start = sum(mark) if mark else 0
        end = min(len(passing), start + limit)
    shown = passing[start:end]
    return ClaimPage(
        shown, len(passing), statuses, start,
        next=shown[-1].id if shown and end < len(passing) else None,
        previous=shown[0].id if shown and start > 0 else None,
    )  # fmt: skip


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise P2PError("invalid_request", f"limit: {limit} is not between 1 and {MAX_LIMIT}", 422)


def _scan(
    claims: Sequence[Claim], chosen: ClaimFilter, cursor: str | None
) -> tuple[list[Claim], dict[str, int], tuple[int, int] | None]:
    """The claims that pass, the count per status of those passing all but the status, and
    where the cursor stands among those that pass: how many come before it, and 1 if it
    passes itself (0 if not); None when no claim is the cursor."""
    passing: list[Claim] = []
    statuses = dict.fromkeys(STATUSES, 0)
    mark: tuple[int, int] | None = None
    for claim in claims:
        admitted = chosen.admits_but_status(claim)
        if admitted:
            statuses[claim.status] = statuses.get(claim.status, 0) + 1
            admitted = chosen.status is None or claim.status == chosen.status
        if claim.id == cursor:
            mark = (len(passing), int(admitted))
        if admitted:
            passing.append(claim)
    return passing, statuses, mark
