"""Follows: the spaces and members a member of this node follows, kept on this node only."""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from p2pvalue.accounts import Account
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.event import EVENT_ID, now_ms
from p2pvalue.events.keys import public_from_did
from p2pvalue.store import social as store
from p2pvalue.store.database import writing
from p2pvalue.store.social import PERSON, SPACE

MAX_FOLLOWS = 400  # the feed reads one index range per follow, in one query


class Follows:
    """Follow and unfollow spaces and members, and list what a member follows."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def follow_space(self, account: Account, space: str) -> None:
        with writing(self._engine) as conn:
            if not store.space_exists(conn, space):
                raise NotFound("unknown_space", f"no space {space!r} on this node")
            self._add(conn, account, SPACE, space)

    def follow_member(self, account: Account, did: str) -> None:
        _check_target(PERSON, did)
        if did == account.did:
            raise P2PError("cannot_follow_yourself", "your own actions are yours already", 422)
        with writing(self._engine) as conn:
            self._add(conn, account, PERSON, did)

    def unfollow(self, account: Account, kind: str, target: str) -> bool:
        """Stop following; whether there was a follow to stop."""
        _check_target(kind, target)
        with writing(self._engine) as conn:
            return store.unfollow(conn, account.did, kind, target) > 0

    def of(self, did: str) -> dict[str, list[str]]:
        """What `did` follows: {"spaces": [...], "members": [...]}."""
        with self._engine.begin() as conn:
            found = store.followed(conn, did)
        return {"spaces": found[SPACE], "members": found[PERSON]}

    def _add(self, conn: Connection, account: Account, kind: str, target: str) -> None:
        """Follow once (again is no change), up to MAX_FOLLOWS in all."""
        if store.is_following(conn, account.did, kind, target):
            return
        if store.follow_count(conn, account.did) >= MAX_FOLLOWS:
            raise P2PError(
                "too_many_follows", f"follow at most {MAX_FOLLOWS} spaces and members", 422
            )
        store.follow(conn, account.did, kind, target, now_ms())


def _check_target(kind: str, target: str) -> None:
    """Refuse what cannot be followed: a member is named by an Ed25519 did:key, a space by
    the id of its founding event."""
    if kind == PERSON:
        try:
            public_from_did(target)
        except ValueError:
            raise P2PError("bad_did", "a member is named by an Ed25519 did:key", 422) from None
    elif not EVENT_ID.fullmatch(target):
        raise NotFound("unknown_space", f"no space {target!r} on this node")
