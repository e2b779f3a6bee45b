"""The node's side of replication: which nodes hold each space, what to push to them, and
what other nodes may read and send here.

Where a space lives is on its log: each member's `member.home` event names their node and
its URL, so a space's peers are its members' homes (and the node this node joined it
from). Every event this node's own side commits is queued, durably, for each peer;
`federation.worker` delivers the queue and pulls what pushes missed. Events from other
nodes take the one write path like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from p2pvalue.errors import Forbidden, NotFound, P2PError
from p2pvalue.events.event import Event, now_ms
from p2pvalue.ingest import Outcome
from p2pvalue.store import events as event_store
from p2pvalue.store import federation as store
from p2pvalue.store.database import writing

if TYPE_CHECKING:
    from p2pvalue.node import Node

LOG = logging.getLogger(__name__)
HOME = "member.home"
HOSTED = ("member", "invited")  # whose homes are the nodes of a space
MAX_PUSH_EVENTS = 1000
MAX_FETCH_IDS = 500
MAX_LOG_PAGE = 5000


@dataclass(frozen=True)
class Home:
    node: str
    url: str


def homes_of(events: Sequence[Any]) -> dict[str, Home]:
    """Each member's latest announced home, from a space's accepted `member.home` events."""
    found: dict[str, Home] = {}
    for event in events:
        if event.type == HOME:
            found[event.author] = Home(event.content["node"], event.content["url"].rstrip("/"))
    return found


class Replication:
    """Peers, the outbox, and the federation API's reads and writes for one node."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._homes: dict[str, tuple[int, dict[str, Home]]] = {}
        self.wake: list[Any] = []  # callables the worker registers, called when work is queued
        node.writer.subscribe(self.committed)

    @property
    def url(self) -> str | None:
        return self.node.config.public_url

    def homes(self, space: str) -> dict[str, Home]:
        """Each member of the space and the node they live on (cached until the log changes)."""
        cached = self._homes.get(space)
        version, events = self.node.writer.events_of(
            space, frozenset({HOME}), cached[0] if cached else None
        )
        if events is None and cached is not None:
            return cached[1]
        found = homes_of(events or [])
        self._homes[space] = (version, found)
        return found

    def hosts(self, space: str) -> dict[str, set[str]]:
        """The nodes the space's log names as the home of a member or invitee, each with
        the URLs it is named by: the nodes whose pushes this node takes (besides a push
        that `introduces` one) and the only ones it fetches a push's ancestors from."""
        log = self.node.writer.log(space)
        authority = log.authority if log is not None else None
        if authority is None:
            return {}
        found: dict[str, set[str]] = {}
        for did, home in self.homes(space).items():
            membership = authority.members.get(did)
            if membership is not None and membership.status in HOSTED:
                found.setdefault(home.node, set()).add(home.url)
        return found

    def check_pusher(self, sender: str, space: str, wires: Sequence[Any]) -> None:
        """Nothing if node `sender` may push events of `space` here: the log names it (see
        `hosts`), or the push introduces it (`introduces`); else `unknown_node` (403)."""
        self._check_replicated(space)
        if sender in self.hosts(space) or self.introduces(space, wires):
            return
        raise Forbidden("unknown_node", f"the log of {space} names {sender} as the home of "
                        "no member or invitee")  # fmt: skip

    def introduces(self, space: str, wires: Sequence[Any]) -> bool:
        """Whether a push carries what a new member's node sends first: a `member.join` or
        `member.request` the space's membership lets its author make, or a `member.home` by
        a member or invitee. Its events are taken, each judged by the write path; nothing
        is fetched from the sender unless, once they are, the log names it (`home_url`)."""
        log = self.node.writer.log(space)
        authority = log.authority if log is not None else None
        if authority is None:
            return False
        policy = authority.charter.membership
        open_to = {"member.join": policy == "open", "member.request": policy == "approval"}
        for wire in wires:
            if not isinstance(wire, dict) or wire.get("space") != space:
                continue
            kind, membership = wire.get("type"), authority.members.get(str(wire.get("author")))
            hosted = membership is not None and membership.status in HOSTED
            if (kind in open_to and (hosted or open_to[kind])) or (kind == HOME and hosted):
                return True
        return False

    def home_url(self, space: str, sender: str, said: str | None) -> str | None:
        """Where to fetch from node `sender`: a URL the log names it by (`said`, the one the
        push gave, if it is one of them), or None if the log does not name it."""
        urls = self.hosts(space).get(sender)
        if not urls:
            return None
        return said.rstrip("/") if said and said.rstrip("/") in urls else sorted(urls)[0]

    def peers(self, space: str) -> list[str]:
        """The URLs of the other nodes that hold the space."""
        with self.node.engine.begin() as conn:
            joined = store.peers(conn, space)
        urls = {home.url for home in self.homes(space).values() if home.node != self.node.did}
        return sorted((urls | set(joined)) - {self.url})

    def committed(self, events: Sequence[Event], origin: str | None) -> None:
        """Queue each event this node's side committed for every peer of its space. Events
        from other nodes are not passed on: their origin pushes them to every home the log
        names, and anti-entropy brings them to any node it missed (a copied log is not sent
        out again). Never raises: the events are committed whatever becomes of delivery."""
        if origin is not None:
            return
        try:
            rows = []
            for space in sorted({event.space for event in events}):
                peers = self.peers(space)
                rows += [(url, e.space, e.id) for e in events if e.space == space for url in peers]
            if rows:
                with writing(self.node.engine) as conn:
                    store.enqueue(conn, rows, now_ms())
                for wake in self.wake:
                    wake()
        except Exception:
            LOG.exception("queueing %d event(s) for other nodes failed", len(events))

    def add_peer(self, space: str, url: str) -> None:
        with writing(self.node.engine) as conn:
            store.add_peer(conn, space, url.rstrip("/"), now_ms())

    def receive(self, origin: str, space: str, wires: list[Any]) -> list[Outcome]:
        """Take events another node pushed: each through the write path, or refused alone."""
        self._check_replicated(space)
        if len(wires) > MAX_PUSH_EVENTS:
            raise P2PError("too_many_events", f"at most {MAX_PUSH_EVENTS} events a push", 413)
        ours = [w for w in wires if isinstance(w, dict) and w.get("space", w.get("id")) == space]
        outcomes = iter(self.node.ingest(ours, hold_missing=True, origin=origin))
        return [
            next(outcomes) if isinstance(w, dict) and w.get("space", w.get("id")) == space
            else Outcome("refused", None, None, "wrong_space", f"not an event of {space}", 422)
            for w in wires
        ]  # fmt: skip

    def heads(self, space: str) -> dict[str, Any]:
        log = self._check_replicated(space)
        return {"space": space, "heads": sorted(log.tips), "events": len(log)}

    def bodies(self, space: str, ids: Sequence[str]) -> list[bytes]:
        self._check_replicated(space)
        if len(ids) > MAX_FETCH_IDS:
            raise P2PError("too_many_ids", f"at most {MAX_FETCH_IDS} ids a request", 413)
        with self.node.engine.begin() as conn:
            return store.bodies_by_id(conn, space, list(ids))

    def page(self, space: str, after: int, limit: int) -> list[tuple[int, bytes]]:
        self._check_replicated(space)
        with self.node.engine.begin() as conn:
            return store.bodies_after(conn, space, after, min(limit, MAX_LOG_PAGE))

    def known(self, ids: Sequence[str]) -> set[str]:
        with self.node.engine.begin() as conn:
            return event_store.known_ids(conn, ids)

    def _check_replicated(self, space: str) -> Any:
        log = self.node.writer.log(space)
        if log is None:
            raise NotFound("not_replicated", f"this node does not hold space {space!r}")
        return log
