"""SQL over the space keys this node's members hold (each sealed under the node's keyring)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from p2pvalue.store.schema import accounts, space_keys


def sealed_keys(conn: Connection, space: str) -> dict[str, bytes]:
    query = select(space_keys.c.kid, space_keys.c.sealed_key).where(space_keys.c.space == space)
    return {row.kid: bytes(row.sealed_key) for row in conn.execute(query)}


def add(conn: Connection, space: str, sealed: dict[str, bytes]) -> None:
    """Record keys not yet recorded (a key, once held, never changes)."""
    held = set(sealed_keys(conn, space))
    rows = [{"space": space, "kid": kid, "sealed_key": value}
            for kid, value in sorted(sealed.items()) if kid not in held]  # fmt: skip
    if rows:
        conn.execute(insert(space_keys), rows)


def local_dids(conn: Connection, dids: list[str]) -> list[str]:
    """Those of `dids` that have an account on this node."""
    found: list[str] = []
    for start in range(0, len(dids), 500):
        chunk = dids[start : start + 500]
        found += conn.scalars(select(accounts.c.did).where(accounts.c.did.in_(chunk)))
    return sorted(found)
