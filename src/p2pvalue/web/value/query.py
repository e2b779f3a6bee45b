"""What a person asked the value page for in its query string (filters, page size, cursor),
read leniently: what does not fit is dropped and said in words, never a crash or a bare
validation error, since people type and share these addresses."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from p2pvalue.web.i18n import gettext
from p2pvalue.web.value.listing import DEFAULT_LIMIT, MAX_LIMIT, STATUSES, ClaimFilter

MAX_FIELD = 200  # longer than any status, kind, member or claim id


@dataclass(frozen=True)
class PageQuery:
    chosen: ClaimFilter
    limit: int = DEFAULT_LIMIT
    after: str | None = None
    before: str | None = None
    problem: str | None = None  # what was dropped, and why, for the person to read

    @classmethod
    def read(
        cls, status: str, kind: str, member: str, limit: str, after: str, before: str
    ) -> PageQuery:
        """The query the parameters make; empty ones are absent."""
        problems: list[str] = []
        if status and status not in STATUSES:
            problems.append(
                gettext(
                    "There is no status “%(status)s”: showing claims of any status.",
                    status=status[:40],
                )
            )
            status = ""
        size = _size(limit, problems)
        if after and before:
            problems.append(
                gettext("A page is asked for either after a claim or before one, not both.")
            )
            after = before = ""
        chosen = ClaimFilter(status or None, member[:MAX_FIELD] or None, kind[:MAX_FIELD] or None)
        return cls(chosen, size, after[:MAX_FIELD] or None, before[:MAX_FIELD] or None,
                   " ".join(problems) or None)  # fmt: skip

    def without_cursor(self) -> PageQuery:
        """The same filters from the first page, saying why: the cursor named no claim."""
        gone = gettext(
            "That page is gone (the claim it started from is not here): showing the newest."
        )
        problem = " ".join(p for p in (self.problem, gone) if p)
        return replace(self, after=None, before=None, problem=problem)

    @property
    def sized(self) -> bool:
        """Whether the page size was chosen (links and the filter form keep it)."""
        return self.limit != DEFAULT_LIMIT

    def link(self, **changes: str | None) -> str:
        """The query string of this page's filters and size with `changes` (None drops a
        parameter), for a page link."""
        fields: dict[str, str | None] = {
            "status": self.chosen.status, "kind": self.chosen.kind, "member": self.chosen.member,
            "limit": str(self.limit) if self.limit != DEFAULT_LIMIT else None,
        }  # fmt: skip
        fields |= changes
        return "?" + urlencode({name: value for name, value in fields.items() if value})


def _size(limit: str, problems: list[str]) -> int:
    if not limit:
        return DEFAULT_LIMIT
    digits = limit.isascii() and limit.isdigit() and len(limit) <= len(str(MAX_LIMIT))
    if digits and 1 <= int(limit) <= MAX_LIMIT:
        return int(limit)
    problems.append(
        gettext(
            "A page holds 1 to %(most)s claims: showing %(shown)s.",
            most=MAX_LIMIT,
            shown=DEFAULT_LIMIT,
        )
    )
    return DEFAULT_LIMIT
