"""The stored snapshots of folded state (see `p2pvalue.snapshots`): one row per space and
name, replaced whole."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from p2pvalue.store.schema import snapshots


@dataclass(frozen=True)
class Row:
    end: int
    digest: str
    mac: str
    body: bytes


def load(conn: Connection, space: str, name: str) -> Row | None:
    columns = (snapshots.c.end, snapshots.c.digest, snapshots.c.mac, snapshots.c.body)
    query = select(*columns).where(snapshots.c.space == space, snapshots.c.name == name)
    found = conn.execute(query).first()
    return None if found is None else Row(found[0], found[1], found[2], bytes(found[3]))


def save(conn: Connection, space: str, name: str, row: Row) -> None:
    drop(conn, space, name)
    values = {"end": row.end, "digest": row.digest, "mac": row.mac, "body": row.body}
    conn.execute(insert(snapshots).values(space=space, name=name, **values))


def drop(conn: Connection, space: str | None = None, name: str | None = None) -> None:
    """Drop the snapshots of a space (of one name), or every one."""
    query = delete(snapshots)
    if space is not None:
        query = query.where(snapshots.c.space == space)
    if name is not None:
        query = query.where(snapshots.c.name == name)
    conn.execute(query)
