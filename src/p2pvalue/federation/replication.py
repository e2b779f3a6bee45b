"""The node's side of replication: which nodes hold each space, what to push to them, and
what other nodes may read and send here.

Where a space lives is on its log: each member's `member.home` event names their node and
its URL, so a space's peers are its members' and invitees' homes (and the node this node
joined it from). Every event this node's own side commits is queued, durably, for each
peer; `federation.worker` delivers the queue and pulls what pushes missed. Events from
other nodes take the one write path like any other.

A node that hosted members of the space and hosts none any more (they were removed or
left, `Hosting.former`) is no peer: nothing is pushed to it or pulled from it, whether
the log named it as a home or this node joined the space from it. It is sent the batch
that made its last member go, so that it learns of it, and nothing after; and it is
served no page of a private space's log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from p2pvalue.errors import Forbidden, NotFound, P2PError
from p2pvalue.events.authority import INVITED, MEMBER, Authority
from p2pvalue.events.event import Event, now_ms
from p2pvalue.ingest import Outcome
from p2pvalue.store import events as event_store
from p2pvalue.store import federation as store
from p2pvalue.store.database import writing

if TYPE_CHECKING:
    from p2pvalue.node import Node

LOG = logging.getLogger(__name__)
HOME = "member.home"
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


@dataclass(frozen=True)
class Hosting:
    """Which nodes a space's homes name: those that host a member or invitee, and the
    `former` ones, named as the home of someone who is neither any more, that host no one
    who is (by node key and by URL)."""

    nodes: frozenset[str]
    urls: frozenset[str]
    former_nodes: frozenset[str]
    former_urls: frozenset[str]


def hosting(homes: Mapping[str, Home], reads: Callable[[str], bool]) -> Hosting:
    """The hosting of a space whose members' homes are `homes`, where `reads(did)` says
    whether `did` is still a member or invitee."""
    current = [home for did, home in homes.items() if reads(did)]
    gone = [home for did, home in homes.items() if not reads(did)]
    nodes, urls = {home.node for home in current}, {home.url for home in current}
    return Hosting(
        frozenset(nodes),
        frozenset(urls),
        frozenset(home.node for home in gone if home.node not in nodes and home.url not in urls),
        frozenset(home.url for home in gone if home.node not in nodes and home.url not in urls),
    )


def reader(authority: Authority | None) -> Callable[[str], bool]:
    """Whether a did is a member or invitee under `authority` (None, a space this node
    cannot read: everyone named counts, as it cannot tell)."""
    if authority is None:
        return lambda did: True
    members = authority.members

    def reads(did: str) -> bool:
        found = members.get(did)
        return found is not None and found.status in (MEMBER, INVITED)

    return reads


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

    def hosting(self, space: str) -> Hosting:
        """Which nodes host a member or invitee of the space, and which no longer do."""
        log = self.node.writer.log(space)
        return hosting(self.homes(space), reader(log.authority if log is not None else None))

    def peers(self, space: str) -> list[str]:
        """The URLs of the other nodes that hold the space (a former host is none)."""
        with self.node.engine.begin() as conn:
            joined = store.peers(conn, space)
        found = self.hosting(space)
        return sorted((found.urls | set(joined)) - found.former_urls - {self.url})

    def check_reader(self, space: str, sender: str) -> None:
        """Refuse `sender` a private space's log if it hosted members of it and hosts none
        any more."""
        log = self._check_replicated(space)
        if log.private and sender in self.hosting(space).former_nodes:
            raise Forbidden("not_a_host", "your node hosts no member of this space any more")

    def _departed(self, space: str, events: Sequence[Event]) -> set[str]:
        """The homes of those whom these events made neither member nor invitee: they are
        sent the events that tell them so."""
        log = self.node.writer.log(space)
        if log is None or log.authority is None:
            return set()
        ids = {event.id for event in events}
        homes = self.homes(space)
        return {
            homes[did].url for did, found in log.authority.members.items()
            if found.since in ids and found.status not in (MEMBER, INVITED) and did in homes
        }  # fmt: skip

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
                ours = [event for event in events if event.space == space]
                peers = (set(self.peers(space)) | self._departed(space, ours)) - {self.url}
                rows += [(url, e.space, e.id) for e in ours for url in sorted(peers)]
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
