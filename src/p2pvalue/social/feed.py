"""The feed: accepted events in the spaces a member follows and by the members they follow,
newest first (by the event's time, then its place in this node's store), paged by a cursor.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from p2pvalue.errors import P2PError
from p2pvalue.store import social as store
from p2pvalue.store.social import PERSON, SPACE, Cursor, FeedRow

MAX_PAGE = 100
MAX_ROUNDS = 10  # queries for one page when rejected events thin it out
MAX_SUMMARY = 140
SUMMARY_KEYS = ("title", "name", "text", "body", "summary", "description", "comment", "reason")
CURSOR = re.compile(r"(\d{1,16})-(\d{1,19})")


def summarize(type: str, content: Mapping[str, Any]) -> str:
    """A line that says what an event did: its first textual field, shortened, else its type."""
    for key in SUMMARY_KEYS:
        value = content.get(key)
        if isinstance(value, str) and value.strip():
            line = " ".join(value.split())
            return line if len(line) <= MAX_SUMMARY else line[: MAX_SUMMARY - 1] + "…"
    return type.replace(".", " ").replace("_", " ")


def cursor_of(row: FeedRow) -> str:
    return f"{row.ts}-{row.seq}"


def parse_cursor(text: str | None) -> Cursor | None:
    if text is None:
        return None
    found = CURSOR.fullmatch(text)
    if found is None:
        raise P2PError("bad_cursor", "before is a cursor from a feed page: <ts>-<seq>", 422)
    return int(found[1]), int(found[2])


def item(row: FeedRow) -> dict[str, Any]:
    return {
        "id": row.id, "type": row.type, "author": row.author, "space": row.space,
        "space_name": row.space_name, "ts": row.ts, "summary": summarize(row.type, row.content),
        "cursor": cursor_of(row),
    }  # fmt: skip


@dataclass(frozen=True)
class FeedPage:
    """A page of the feed: its items as the API lists them, the rows they were read from
    (for pages that tell them as activity without reading them again), and the cursor of
    the next page."""

    items: list[dict[str, Any]]
    next: str | None
    rows: list[FeedRow] = field(default_factory=list)


class Feed:
    """Pages of what the followed did."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def page(self, did: str, before: str | None = None, limit: int = 50) -> FeedPage:
        """Up to `limit` items older than `before`; `next` continues (None: no more)."""
        if not 1 <= limit <= MAX_PAGE:
            raise P2PError("bad_limit", f"limit is 1 to {MAX_PAGE}", 422)
        cursor = parse_cursor(before)
        shown: list[FeedRow] = []
        with self._engine.begin() as conn:
            followed = store.followed(conn, did)
            hidden = store.hidden_spaces(conn, [did])[did]
            for _ in range(MAX_ROUNDS):
                wanted = limit - len(shown)
                rows = store.feed_rows(conn, followed[SPACE], followed[PERSON], cursor, wanted)
                shown += [row for row in rows if row.accepted and row.space not in hidden]
                if len(rows) < wanted:
                    return FeedPage([item(row) for row in shown], None, shown)
                cursor = (rows[-1].ts, rows[-1].seq)
                if len(shown) == limit:
                    break
        return FeedPage([item(row) for row in shown], cursor_of(rows[-1]), shown)

    def by_member(
        self, member: str, viewer: str | None, limit: int = 20, space: str | None = None
    ) -> list[FeedRow]:
        """What `member` did lately (accepted events, newest first), in the spaces `viewer`
        may read (only public ones for nobody), or only in `space`."""
        rows: list[FeedRow] = []
        cursor: Cursor | None = None
        with self._engine.begin() as conn:
            hidden = store.hidden_spaces(conn, [viewer or ""])[viewer or ""]
            for _ in range(MAX_ROUNDS):
                found = store.feed_rows(conn, (), (member,), cursor, MAX_PAGE)
                rows += [row for row in found if row.accepted and row.space not in hidden
                         and space in (None, row.space)]  # fmt: skip
                if len(rows) >= limit or len(found) < MAX_PAGE:
                    break
                cursor = (found[-1].ts, found[-1].seq)
        return rows[:limit]
