"""A member's right to erasure: their profile goes, and a signed `content.erase` asks every
node of each space to erase the content of their posts and thread posts there.

The log still verifies afterwards: an event's signature covers its envelope, which names
the content only by its hash (see `events.event`). What others' records depend on stays:
contributions, reviews, payouts and every governance event keep their content, attached to
the member's pseudonymous key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from p2pvalue.domain import Wiring
from p2pvalue.errors import P2PError
from p2pvalue.social import Social
from p2pvalue.store import events as store

if TYPE_CHECKING:
    from p2pvalue.accounts import Account

MAX_IDS = 100  # a content.erase lists at most this many events


def check_request(engine: Engine, account: Account, space: str, content: dict[str, Any]) -> None:
    """Refuse, before anything is stored, an erasure of events that are not the member's own
    posts or thread posts in this space."""
    wanted = list(content.get("events", []))
    with engine.begin() as conn:
        found = store.erasable_of(conn, space, account.did, wanted)
    missing = [event for event in wanted if event not in found]
    if missing:
        raise P2PError(
            "not_erasable", f"{missing[0]} is not a post or thread post of yours in this space", 403
        )


def erase_member(wiring: Wiring, account: Account) -> dict[str, Any]:
    """Erase the member's profile and what the node keeps to notify them (their address,
    read marks and mail), and ask each space on this node for the erasure of the
    content of their posts and thread posts there; what was asked, space by space."""
    asked: dict[str, int] = {}
    for summary in wiring.directory.spaces(everyone=True):
        with wiring.engine.begin() as conn:
            ids = store.authored_erasable(conn, summary.id, account.did)
        for start in range(0, len(ids), MAX_IDS):
            chunk = ids[start : start + MAX_IDS]
            outcome = wiring.act(account, summary.id, "content.erase", {"events": chunk})
            if outcome.status == "accepted":
                asked[summary.id] = asked.get(summary.id, 0) + len(chunk)
    social = wiring.service(Social)
    return {"profile_fields": social.profiles.erase(account), "events": asked,
            "mail": social.mailing.erase(account.did)}  # fmt: skip
