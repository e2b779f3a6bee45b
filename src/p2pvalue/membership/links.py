"""Invite links, as pure values: a random secret the link carries (the node keeps only its
hash), its lifetime and uses, and what state a link is in at some time."""

from __future__ import annotations

import hashlib
import secrets

from p2pvalue.store.invite_links import InviteLink

HOUR_MS = 3_600_000
# The lifetimes and numbers of uses a member picks from, in hours and uses.
LIFETIMES = (1, 24, 24 * 7, 24 * 30)
USES = (1, 5, 25, 100)
TOKEN_BYTES = 24
LIVE, EXPIRED, USED_UP, REVOKED = "live", "expired", "used_up", "revoked"


def new_token() -> str:
    """A link's secret: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_id(hashed: str) -> str:
    """A link's public name: a prefix of its secret's hash, from which the secret cannot be
    found (nor the link followed)."""
    return hashed[:16]


def state_of(link: InviteLink, now: int) -> str:
    """Whether `link` still admits at `now`: revoked first, then used up, then expired."""
    if link.revoked_at is not None:
        return REVOKED
    if link.used >= link.uses:
        return USED_UP
    return EXPIRED if now >= link.expires_at else LIVE


def lifetime_words(hours: int) -> str:
    """A lifetime as a member picks it: "1 hour", "1 day", "7 days"."""
    if hours % 24:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = hours // 24
    return f"{days} day{'s' if days != 1 else ''}"
