"""The node's side of private spaces: founding one, sharing its key with those invited, and
rotating the key when someone leaves or is removed.

Who acts, so that each change is made once and by someone who may:

* founding: the founder's node seals the founding event under a new key wrapped for them;
* an invitation: the inviter's node wraps the key in use for the invitee right after;
* a removal: the remover's node rotates the key right after (for a removal a proposal
  decided, the node that closed the proposal);
* a member leaving: the node of the remaining member with the smallest did rotates (the
  leaver's own node may host no one else who could).

A rotation's key is wrapped for every remaining member and invitee, and seals every older
key of the space (`previous`), so whoever receives it reads the whole history; the member
who left or was removed never receives it and reads nothing written after.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from p2pvalue.accounts import Account
from p2pvalue.domain import Wiring
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import INVITED, MEMBER, Authority
from p2pvalue.events.event import Event, build_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.log import SpaceLog
from p2pvalue.events.sealing import key_id, new_key, seal_content, seal_previous, wrap
from p2pvalue.ingest import Outcome
from p2pvalue.store.keys import local_dids

LOG = logging.getLogger(__name__)
MAX_WRAPS = 300  # per `space.key` event; more members take more events under the same key
KEY_SHARING = frozenset(
    {"member.invite", "member.remove", "member.leave", "space.key", "proposal.close"}
)


def founding_content(founder: KeyPair, content: Mapping[str, Any]) -> dict[str, Any]:
    """A private space's founding content: sealed under a new key wrapped for the founder."""
    key = new_key()
    sealed = seal_content(key, "space.create", founder.did, content)
    return {**sealed, "wraps": {founder.did: wrap(founder.did, key)}}


def key_contents(
    kid: str, key: bytes, dids: Sequence[str], previous: Mapping[str, bytes] | None = None
) -> list[dict[str, Any]]:
    """The `space.key` contents that wrap `key` for `dids`, at most `MAX_WRAPS` each; the
    first seals the `previous` keys under it (a rotation)."""
    contents: list[dict[str, Any]] = []
    for start in range(0, len(dids), MAX_WRAPS):
        chunk = sorted(dids)[start : start + MAX_WRAPS]
        content: dict[str, Any] = {"space_key": kid, "wraps": {d: wrap(d, key) for d in chunk}}
        if previous and not contents:
            content["previous"] = seal_previous(key, previous)
        contents.append(content)
    return contents


def holders(state: Authority, leaving: str | None = None) -> list[str]:
    """Who may hold a space's key: its members and invitees (but not `leaving`)."""
    return sorted(
        did for did, m in state.members.items() if m.status in (MEMBER, INVITED) and did != leaving
    )


def _removes(log: SpaceLog, close: Event) -> bool:
    """Whether a proposal's close carries out a removal (a passed `member.remove`)."""
    proposal = log.entries.get(close.content.get("proposal", ""))
    action = ((proposal.content if proposal else None) or {}).get("action") or {}
    return close.content.get("outcome") == "passed" and action.get("type") == "member.remove"


class PrivateSpaces:
    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring

    def create(self, account: Account, content: Mapping[str, Any]) -> Outcome:
        key = self.wiring.accounts.key_of(account)
        founding = founding_content(key, content)
        event = build_event(key, "space.create", founding, space=None, ts=self.wiring.clock())
        return self.wiring.writer.ingest([event.wire])[0]

    def share(self, actor: Account, space: str, dids: Sequence[str]) -> list[Outcome]:
        """Wrap the key in use for `dids` (newly invited)."""
        kid, keys = self.wiring.writer.space_keys(space)
        if kid is None or kid not in keys:
            raise P2PError("no_space_key", "no member of this node holds the space key", 403)
        return self._publish(actor, space, key_contents(kid, keys[kid], dids))

    def rotate(self, actor: Account, space: str) -> list[Outcome]:
        """A new key for the space's members and invitees, sealing every older one."""
        _, older = self.wiring.writer.space_keys(space)
        log = self.wiring.writer.log(space)
        if log is None or log.authority is None or not older:
            raise P2PError("no_space_key", "no member of this node holds the space key", 403)
        key = new_key()
        contents = key_contents(key_id(key), key, holders(log.authority), older)
        return self._publish(actor, space, contents)

    def committed(self, events: Sequence[Event], origin: str | None) -> None:
        """Share or rotate keys after the membership changes this node is to answer for.
        Never raises: the events are committed whatever becomes of this."""
        for event in events:
            if event.type not in KEY_SHARING:
                continue
            try:
                self._answer(event, origin)
            except Exception:
                LOG.exception("space key change after %s %s failed", event.type, event.id)

    def _answer(self, event: Event, origin: str | None) -> None:
        log = self.wiring.writer.log(event.space)
        if log is None or not log.private or not log.readable or log.authority is None:
            return
        if log.reasons.get(event.id) is not None:
            return
        if event.type == "space.key":
            if event.content.get("previous"):
                self._complete(event.space)
            return
        if event.type == "member.leave":
            remaining = holders(log.authority)
            members = [d for d in remaining if log.authority.is_member(d)]
            actor = self.wiring.accounts.by_did(members[0]) if members else None
            if actor is not None:
                self.rotate(actor, event.space)
            return
        if event.type == "proposal.close" and not _removes(log, event):
            return
        actor = self.wiring.accounts.by_did(event.author)
        if origin is not None or actor is None:
            return
        if event.type == "member.invite":
            self.share(actor, event.space, [event.content["member"]])
        else:
            self.rotate(actor, event.space)

    def _complete(self, space: str) -> None:
        """After a rotation, wrap its key for whoever may hold it and has not got it: an
        invitee whose invitation was concurrent with the rotation. Any node holding the key
        may do it (a wrap given twice is harmless)."""
        kid, keys = self.wiring.writer.space_keys(space)
        log = self.wiring.writer.log(space)
        if kid not in keys or log is None or log.authority is None:
            return
        wrapped: set[str] = set()
        for event_id, entry in log.entries.items():
            content = entry.content or {}
            sharing = entry.type == "space.key" and content.get("space_key") == kid
            if sharing and log.reasons.get(event_id) is None:
                wrapped |= set(content["wraps"])
        missing = [did for did in holders(log.authority) if did not in wrapped]
        members = [did for did in holders(log.authority) if log.authority.is_member(did)]
        with self.wiring.engine.begin() as conn:
            local = local_dids(conn, members)
        actor = self.wiring.accounts.by_did(local[0]) if local else None
        if missing and actor is not None:
            self.share(actor, space, missing)

    def _publish(
        self, actor: Account, space: str, contents: Sequence[dict[str, Any]]
    ) -> list[Outcome]:
        key = self.wiring.accounts.key_of(actor)
        return [self.wiring.writer.act(key, space, "space.key", content) for content in contents]
