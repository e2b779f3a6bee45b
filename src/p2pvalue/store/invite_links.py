"""SQL for invite links: made, listed, spent one use at a time, revoked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from p2pvalue.store.schema import invite_links


@dataclass(frozen=True)
class InviteLink:
    id: str
    space: str
    inviter: str
    created_at: int
    expires_at: int
    uses: int
    used: int
    revoked_at: int | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _link(row: Any) -> InviteLink:
    return InviteLink(row.id, row.space, row.inviter, row.created_at, row.expires_at,
                      row.uses, row.used, row.revoked_at)  # fmt: skip


def add(conn: Connection, link: InviteLink, token_hash: str) -> None:
    conn.execute(insert(invite_links).values(token_hash=token_hash, **link.as_dict()))


def by_hash(conn: Connection, token_hash: str) -> InviteLink | None:
    row = conn.execute(select(invite_links).where(invite_links.c.token_hash == token_hash)).first()
    return _link(row) if row else None


def by_id(conn: Connection, link_id: str) -> InviteLink | None:
    row = conn.execute(select(invite_links).where(invite_links.c.id == link_id)).first()
    return _link(row) if row else None


def of_space(conn: Connection, space: str) -> list[InviteLink]:
    query = (
        select(invite_links)
        .where(invite_links.c.space == space)
        .order_by(invite_links.c.created_at.desc(), invite_links.c.id)
    )
    return [_link(row) for row in conn.execute(query)]


def spend(conn: Connection, link_id: str, now: int) -> bool:
    """Take one use of a live link; False when it has none left, expired or was revoked
    (checked in the same statement, so two people cannot take the last use)."""
    c = invite_links.c
    taken = conn.execute(
        update(invite_links)
        .where(c.id == link_id, c.used < c.uses, c.expires_at > now, c.revoked_at.is_(None))
        .values(used=c.used + 1)
    )
    return taken.rowcount == 1


def give_back(conn: Connection, link_id: str) -> None:
    """Return a use taken for a join that did not happen."""
    c = invite_links.c
    conn.execute(update(invite_links).where(c.id == link_id, c.used > 0).values(used=c.used - 1))


def revoke(conn: Connection, link_id: str, now: int) -> None:
    c = invite_links.c
    conn.execute(
        update(invite_links).where(c.id == link_id, c.revoked_at.is_(None)).values(revoked_at=now)
    )
