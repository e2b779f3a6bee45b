"""SQL for the social records a node keeps for its own members (profiles, follows) and for
the feed read over the event log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, TextClause, delete, func, literal, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from p2pvalue.events.authority import MEMBER
from p2pvalue.store.bulk import insert_rows
from p2pvalue.store.events import content_of
from p2pvalue.store.schema import event_status, events, follows, members, profile_fields, spaces

SPACE = "space"
PERSON = "member"
READERS = ("member", "invited")  # who may read a private space: they hold its key


@dataclass(frozen=True)
class StoredField:
    field: str
    value: Any
    visibility: str


def profile(conn: Connection, did: str) -> list[StoredField]:
    query = select(profile_fields).where(profile_fields.c.did == did)
    return [
        StoredField(row.field, orjson.loads(row.value), row.visibility)
        for row in conn.execute(query.order_by(profile_fields.c.field))
    ]


def profile_field(conn: Connection, field: str, dids: Iterable[str]) -> dict[str, StoredField]:
    """One field of each of `dids`' profiles, for those who filled it in."""
    query = select(profile_fields).where(
        profile_fields.c.field == field, profile_fields.c.did.in_(list(dids))
    )
    return {
        row.did: StoredField(row.field, orjson.loads(row.value), row.visibility)
        for row in conn.execute(query)
    }


def replace_profile(conn: Connection, did: str, fields: Sequence[StoredField], at: int) -> None:
    """Make `fields` the whole of `did`'s profile."""
    conn.execute(delete(profile_fields).where(profile_fields.c.did == did))
    rows = [
        {"did": did, "field": f.field, "value": orjson.dumps(f.value).decode(),
         "visibility": f.visibility, "updated_at": at}
        for f in fields
    ]  # fmt: skip
    insert_rows(conn, profile_fields, rows)


def erase_profile(conn: Connection, did: str) -> int:
    return conn.execute(delete(profile_fields).where(profile_fields.c.did == did)).rowcount


def share_a_space(conn: Connection, one: str, other: str) -> bool:
    """Whether both are members (not applicants, invitees or removed) of some space here."""
    mine = members.alias("mine")
    theirs = members.alias("theirs")
    query = (
        select(literal(1))
        .select_from(mine.join(theirs, mine.c.space == theirs.c.space))
        .where(mine.c.did == one, mine.c.status == MEMBER)
        .where(theirs.c.did == other, theirs.c.status == MEMBER)
        .limit(1)
    )
    return conn.scalar(query) is not None


def sharing(conn: Connection, one: str, others: Iterable[str]) -> set[str]:
    """Those of `others` who are members with `one` of some space here (see `share_a_space`)."""
    mine = members.alias("mine")
    theirs = members.alias("theirs")
    query = (
        select(theirs.c.did)
        .distinct()
        .select_from(mine.join(theirs, mine.c.space == theirs.c.space))
        .where(mine.c.did == one, mine.c.status == MEMBER)
        .where(theirs.c.did.in_(list(others)), theirs.c.status == MEMBER)
    )
    return set(conn.scalars(query))


def follow(conn: Connection, follower: str, kind: str, target: str, at: int) -> None:
    """Record a follow; following again changes nothing."""
    row = {"follower": follower, "kind": kind, "target": target, "created_at": at}
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(upsert(follows).values(row).on_conflict_do_nothing())


def unfollow(conn: Connection, follower: str, kind: str, target: str) -> int:
    query = delete(follows).where(
        follows.c.follower == follower, follows.c.kind == kind, follows.c.target == target
    )
    return conn.execute(query).rowcount


def is_following(conn: Connection, follower: str, kind: str, target: str) -> bool:
    query = select(follows.c.target).where(
        follows.c.follower == follower, follows.c.kind == kind, follows.c.target == target
    )
    return conn.scalar(query) is not None


def follow_count(conn: Connection, follower: str) -> int:
    query = select(func.count()).select_from(follows).where(follows.c.follower == follower)
    return int(conn.scalar(query) or 0)


def followed(conn: Connection, follower: str) -> dict[str, list[str]]:
    """What `follower` follows, by kind, each list sorted."""
    query = (
        select(follows.c.kind, follows.c.target)
        .where(follows.c.follower == follower)
        .order_by(follows.c.kind, follows.c.target)
    )
    found: dict[str, list[str]] = {SPACE: [], PERSON: []}
    for kind, target in conn.execute(query):
        found.setdefault(kind, []).append(target)
    return found


def followers_of(
    conn: Connection, candidates: Iterable[str], spaces_: Iterable[str], authors: Iterable[str]
) -> list[tuple[str, str, str]]:
    """(follower, kind, target) for each of `candidates` that follows one of the given
    spaces or authors."""
    wanted_spaces, wanted_authors = sorted(set(spaces_)), sorted(set(authors))
    query = select(follows.c.follower, follows.c.kind, follows.c.target).where(
        follows.c.follower.in_(sorted(set(candidates))),
        ((follows.c.kind == SPACE) & follows.c.target.in_(wanted_spaces))
        | ((follows.c.kind == PERSON) & follows.c.target.in_(wanted_authors)),
    )
    return [(row.follower, row.kind, row.target) for row in conn.execute(query)]


def space_exists(conn: Connection, space: str) -> bool:
    return conn.scalar(select(spaces.c.id).where(spaces.c.id == space)) is not None


@dataclass(frozen=True)
class FeedRow:
    seq: int
    id: str
    space: str
    space_name: str | None
    type: str
    author: str
    ts: int
    accepted: bool
    content: dict[str, Any]


Cursor = tuple[int, int]  # (ts, seq): the event's time, then its place in this node's store


def feed_rows(
    conn: Connection,
    spaces_: Sequence[str],
    authors: Sequence[str],
    before: Cursor | None,
    limit: int,
) -> list[FeedRow]:
    """The `limit` newest events (by ts, then seq) in `spaces_` or by `authors`, before the
    cursor, rejected ones included and marked: one query whose branches each read a short
    newest-first range of an index (`ix_events_space_ts`, `ix_events_author_ts`)."""
    if not spaces_ and not authors:
        return []
    return _rows(conn, *feed_statement(spaces_, authors, before, limit))


def feed_statement(
    spaces_: Sequence[str], authors: Sequence[str], before: Cursor | None, limit: int
) -> tuple[TextClause, dict[str, Any]]:
    """The feed page's one SELECT and its parameters (see `feed_rows`)."""
    params: dict[str, Any] = {f"s{i}": space for i, space in enumerate(spaces_)}
    params.update({f"a{i}": author for i, author in enumerate(authors)})
    params["n"] = limit
    if before is not None:
        params["bts"], params["bseq"] = before
    return _feed_sql(len(spaces_), len(authors), before is not None), params


@lru_cache(maxsize=256)
def _feed_sql(spaces_: int, authors: int, paged: bool) -> TextClause:
    # Written out rather than built with Core: building and compiling hundreds of branches
    # took ~80 ms a page, against ~10 ms to run them. One text per shape, cached.
    after = " AND (ts, seq) < (:bts, :bseq)" if paged else ""
    branches = [
        f"SELECT ts, seq FROM (SELECT ts, seq FROM events WHERE {column} = :{key}{after}"
        f" ORDER BY ts DESC, seq DESC LIMIT :n) AS b_{key}"
        for column, prefix, count in (("space", "s", spaces_), ("author", "a", authors))
        for key in (f"{prefix}{i}" for i in range(count))
    ]
    # UNION, not UNION ALL: an event in a followed space by a followed author comes twice.
    merged = " UNION ".join(branches)
    return text(
        "SELECT e.seq, e.id, e.space, e.type, e.author, e.ts, e.body, e.plain, st.accepted,"
        " sp.name AS name"
        f" FROM (SELECT ts, seq FROM ({merged}) AS merged"
        " ORDER BY ts DESC, seq DESC LIMIT :n) AS top"
        " JOIN events AS e ON e.seq = top.seq"
        " LEFT OUTER JOIN event_status AS st ON st.id = e.id"
        " LEFT OUTER JOIN spaces AS sp ON sp.id = e.space"
        " ORDER BY top.ts DESC, top.seq DESC"
    )


def hidden_spaces(conn: Connection, dids: Iterable[str]) -> dict[str, set[str]]:
    """For each of `dids`, the private spaces here they are neither member nor invitee of:
    what their feed leaves out."""
    private = set(conn.scalars(select(spaces.c.id).where(spaces.c.private.is_(True))))
    if not private:
        return {did: set() for did in dids}
    query = select(members.c.did, members.c.space).where(
        members.c.did.in_(list(dids)), members.c.space.in_(sorted(private)),
        members.c.status.in_(READERS),
    )  # fmt: skip
    readers: dict[str, set[str]] = {}
    for row in conn.execute(query):
        readers.setdefault(row.did, set()).add(row.space)
    return {did: private - readers.get(did, set()) for did in dids}


def readable_private(conn: Connection, did: str) -> set[str]:
    """The private spaces here of which `did` is a member or invitee."""
    query = (
        select(members.c.space)
        .join(spaces, spaces.c.id == members.c.space)
        .where(members.c.did == did, members.c.status.in_(READERS), spaces.c.private.is_(True))
    )
    return set(conn.scalars(query))


def readers_of(conn: Connection, spaces_: Iterable[str]) -> dict[str, set[str]]:
    """For each private space among `spaces_`, its members and invitees (who may read it)."""
    private = select(spaces.c.id).where(spaces.c.id.in_(sorted(set(spaces_))), spaces.c.private)
    found: dict[str, set[str]] = {space: set() for space in conn.scalars(private)}
    if found:
        query = select(members.c.space, members.c.did).where(
            members.c.space.in_(sorted(found)), members.c.status.in_(READERS)
        )
        for row in conn.execute(query):
            found[row.space].add(row.did)
    return found


def rows_by_ids(conn: Connection, ids: Sequence[str]) -> list[FeedRow]:
    """Feed rows of the given events, oldest first in this node's store."""
    query = _detailed(events).where(events.c.id.in_(list(ids))).order_by(events.c.seq)
    return _rows(conn, query)


def _detailed(source: Any) -> Any:
    return select(
        events.c.seq, events.c.id, events.c.space, events.c.type, events.c.author,
        events.c.ts, events.c.body, events.c.plain, event_status.c.accepted, spaces.c.name,
    ).select_from(
        source.join(event_status, event_status.c.id == events.c.id, isouter=True)
        .join(spaces, spaces.c.id == events.c.space, isouter=True)
    )  # fmt: skip


def _rows(conn: Connection, query: Any, params: dict[str, Any] | None = None) -> list[FeedRow]:
    return [
        FeedRow(row.seq, row.id, row.space, row.name, row.type, row.author, row.ts,
                bool(row.accepted), content_of(row.body, row.plain) or {})
        for row in conn.execute(query, params)
    ]  # fmt: skip
