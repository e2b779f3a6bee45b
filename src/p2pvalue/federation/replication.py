"""The node's side of replication: which nodes hold each space, what to push to them, and
what other nodes may read and send here.

Where a space lives is on its log: each member's `member.home` event names their node and
its URL, so a space's peers are its members' and invitees' homes (and the node this node
joined it from). Every event this node's own side commits is queued, durably, for each
peer; `federation.worker` delivers the queue and pulls what pushes missed. Events from
other nodes take the one write path like any other.

A rejected event is kept here for audit, but not sent to other nodes unless an accepted
event descends from it (whose verification needs all its ancestors): it is not pushed, not
named among the heads and left out of log pages; asked for by id, it is served.

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
from typing import Any

from p2pvalue.accounts import Account
from p2pvalue.domain import Wiring
from p2pvalue.errors import Forbidden, NotFound, P2PError
from p2pvalue.events.authority import INVITED, MEMBER, Authority
from p2pvalue.events.event import Event, now_ms
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.log import SpaceLog
from p2pvalue.federation.member_proof import prove, proven_member
from p2pvalue.ingest import Outcome
from p2pvalue.privacy.spaces import holders
from p2pvalue.store import events as event_store
from p2pvalue.store import federation as store
from p2pvalue.store.database import writing

LOG = logging.getLogger(__name__)
HOME = "member.home"
HOMES = frozenset({HOME})
HOSTED = ("member", "invited")  # whose homes are the nodes of a space
MAX_PUSH_EVENTS = 1000
MAX_FETCH_IDS = 500
MAX_LOG_PAGE = 5000
TOO_MANY_REFUSED = "too many of your node's events were refused: wait before pushing again"


@dataclass(frozen=True)
class Home:
    node: str
    url: str


@dataclass(frozen=True)
class Shared:
    """What of a space's log other nodes are given: every event but the `withheld` (the
    rejected ones no accepted event descends from), and the `heads` of what is left."""

    withheld: frozenset[str]
    heads: tuple[str, ...]


def shared_of(log: SpaceLog) -> Shared:
    """The part of a log other nodes are given (see `Shared`); all of it for a log this
    node cannot judge (sealed) or in which nothing was rejected."""
    if not log.readable or log.accepted == len(log):
        return Shared(frozenset(), tuple(sorted(log.tips)))
    withheld: set[str] = set()
    heads = []
    for event_id in reversed(log.order):
        children = log.children.get(event_id, ())
        kept_children = [child for child in children if child not in withheld]
        if log.reasons.get(event_id) is not None and not kept_children:
            withheld.add(event_id)
        elif not kept_children:
            heads.append(event_id)
    return Shared(frozenset(withheld), tuple(sorted(heads)))


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

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring
        self._homed: set[tuple[str, str]] = set()  # (space, did) known to live here
        self._homes: dict[str, tuple[int | None, int, int, dict[str, Home]]] = {}
        self._shared: dict[str, tuple[int, Shared]] = {}
        self._proofs: dict[str, str] = {}  # space → a member's proof that this node asks for them
        self.wake: list[Any] = []  # callables the worker registers, called when work is queued

    @property
    def url(self) -> str | None:
        return self.wiring.config.public_url

    def announce_home(self, account: Account) -> list[str]:
        """Announce in every space here of which `account` is a member that they live on this
        node (a member who moved here with their key); the spaces where it was news."""
        announced = []
        self._homed = {(space, did) for space, did in self._homed if did != account.did}
        for summary in self.wiring.directory.spaces(everyone=True):
            before = self.homes(summary.id).get(account.did)
            self._announce(account, summary.id)
            if self.homes(summary.id).get(account.did) != before:
                announced.append(summary.id)
        return announced

    def acted(self, account: Account, space: str, type: str) -> None:
        """After a member's accepted action here (but an announcement of their home), tell
        the space where they live if it does not know (see `_announce`)."""
        if type != HOME:
            self._announce(account, space)

    def _announce(self, account: Account, space: str) -> None:
        """Tell the space where a member of this node lives, once they are a member and if
        it does not know yet (or knows an old home), so other nodes reach them here."""
        url = self.url
        if url is None or (space, account.did) in self._homed:
            return
        home = self.homes(space).get(account.did)
        if home is not None and (home.node, home.url) == (self.wiring.did, url):
            self._homed.add((space, account.did))
            return
        log = self.wiring.writer.log(space)
        if log is not None and log.authority is not None and log.authority.is_member(account.did):
            content = {"node": self.wiring.did, "url": url}
            self.wiring.writer.act(self.wiring.accounts.key_of(account), space, HOME, content)

    def rebuild(self) -> None:
        """Drop the members' homes read from the logs (and whom this node announced): the
        next read folds them again from the stored events."""
        self._homes.clear()
        self._homed.clear()

    def homes(self, space: str) -> dict[str, Home]:
        """Each member of the space and the node they live on (folded on as the log grows:
        from the log position after the last announcement read, else read again)."""
        version, end, after, known = self._homes.get(space, (None, 0, 0, {}))
        suffix = self.wiring.writer.events_since(space, HOMES, version, end)
        if suffix.version == version:
            return known
        if suffix.start < after:
            version, end, after, known = None, 0, 0, {}
            suffix = self.wiring.writer.events_since(space, HOMES, None, 0)
        found = {**known, **homes_of([event for _, event in suffix.events])}
        after = suffix.events[-1][0] + 1 if suffix.events else after
        self._homes[space] = (suffix.version, suffix.length, after, found)
        return found

    def hosts(self, space: str) -> dict[str, set[str]]:
        """The nodes the space's log names as the home of a member or invitee, each with
        the URLs it is named by: the nodes whose pushes this node takes (besides a push
        that `introduces` one) and the only ones it fetches a push's ancestors from."""
        log = self.wiring.writer.log(space)
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
        log = self.wiring.writer.log(space)
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

    def hosting(self, space: str) -> Hosting:
        """Which nodes host a member or invitee of the space, and which no longer do."""
        log = self.wiring.writer.log(space)
        return hosting(self.homes(space), reader(log.authority if log is not None else None))

    def peers(self, space: str) -> list[str]:
        """The URLs of the other nodes that hold the space (a former host is none)."""
        with self.wiring.engine.begin() as conn:
            joined = store.peers(conn, space)
        found = self.hosting(space)
        return sorted((found.urls | set(joined)) - found.former_urls - {self.url})

    def _departed(self, space: str, events: Sequence[Event]) -> set[str]:
        """The homes of those whom these events made neither member nor invitee: they are
        sent the events that tell them so."""
        log = self.wiring.writer.log(space)
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
                sent = self._unrejected(space, events)
                peers = (set(self.peers(space)) | self._departed(space, sent)) - {self.url}
                rows += [(url, e.space, e.id) for e in sent for url in sorted(peers)]
            if rows:
                with writing(self.wiring.engine) as conn:
                    store.enqueue(conn, rows, now_ms())
                for wake in self.wake:
                    wake()
        except Exception:
            LOG.exception("queueing %d event(s) for other nodes failed", len(events))

    def _unrejected(self, space: str, events: Sequence[Event]) -> list[Event]:
        """The events of `space` in a committed batch but those rejected with no accepted
        child (anti-entropy brings one to a peer if an accepted event comes to name it)."""
        log = self.wiring.writer.log(space)
        ours = [event for event in events if event.space == space]
        if log is None or not log.readable:
            return ours
        return [e for e in ours if log.reasons.get(e.id) is None or any(
            log.reasons.get(child) is None for child in log.children.get(e.id, ()))]  # fmt: skip

    def shared(self, space: str) -> Shared:
        """What of the space other nodes are given (cached until the log changes)."""
        log = self._check_replicated(space)
        cached = self._shared.get(space)
        if cached is not None and cached[0] == log.version:
            return cached[1]
        found = shared_of(log)
        self._shared[space] = (log.version, found)
        return found

    def add_peer(self, space: str, url: str) -> None:
        with writing(self.wiring.engine) as conn:
            store.add_peer(conn, space, url.rstrip("/"), now_ms())

    def receive(
        self, origin: str, space: str, wires: list[Any], sender: str | None = None
    ) -> list[Outcome]:
        """Take events another node pushed: each through the write path, or refused alone;
        those held for missing ancestors count against `sender`, the verified node."""
        self._check_replicated(space)
        if len(wires) > MAX_PUSH_EVENTS:
            raise P2PError("too_many_events", f"at most {MAX_PUSH_EVENTS} events a push", 413)
        if sender is not None:
            self.wiring.limiter.guard("refused_per_node", sender, TOO_MANY_REFUSED)
        ours = [w for w in wires if isinstance(w, dict) and w.get("space", w.get("id")) == space]
        taken = self.wiring.writer.ingest(ours, hold_missing=True, origin=origin, held_by=sender)
        if sender is not None:
            self.wiring.count_refused("refused_per_node", sender, taken)
        outcomes = iter(taken)
        return [
            next(outcomes) if isinstance(w, dict) and w.get("space", w.get("id")) == space
            else Outcome("refused", None, None, "wrong_space", f"not an event of {space}", 422)
            for w in wires
        ]  # fmt: skip

    def check_reader(self, space: str, node: str, proof: str | None = None) -> None:
        """Refuse (403 `private_space`) a node that asks for a private space's events and
        hosts none of its members or invitees: neither the home the log names for one, nor
        carrying one's `member_proof`; 403 `not_a_host` to one that hosted members and hosts
        none any more. A node that keeps the space sealed cannot tell who
        its members are, and gives it to no one."""
        log = self._check_replicated(space)
        if not log.private:
            return
        if node in self.hosting(space).former_nodes:
            raise Forbidden("not_a_host", "your node hosts no member of this space any more")
        state = log.authority if log.readable else None
        readers = holders(state) if state is not None else []
        homes = self.homes(space) if readers else {}
        if any(homes[did].node == node for did in readers if did in homes):
            return
        if proven_member(proof, node, space) in readers:
            return
        raise Forbidden(
            "private_space", "this node gives a private space only to nodes its members live on"
        )

    def vouch(self, space: str, member: KeyPair) -> None:
        """Remember `member`'s proof that this node asks for `space` on their behalf (an
        invitee's node copying the space before they join)."""
        self._proofs[space] = prove(member, self.wiring.did, space)

    def proof(self, space: str) -> str | None:
        """The member's proof to send with this node's requests for `space`, if any."""
        return self._proofs.get(space)

    def heads(self, space: str) -> dict[str, Any]:
        log = self._check_replicated(space)
        shared = self.shared(space)
        return {"space": space, "heads": list(shared.heads),
                "events": len(log) - len(shared.withheld)}  # fmt: skip

    def bodies(self, space: str, ids: Sequence[str]) -> list[bytes]:
        self._check_replicated(space)
        if len(ids) > MAX_FETCH_IDS:
            raise P2PError("too_many_ids", f"at most {MAX_FETCH_IDS} ids a request", 413)
        with self.wiring.engine.begin() as conn:
            return store.bodies_by_id(conn, space, list(ids))

    def page(
        self, space: str, at: int, limit: int, *, newest_first: bool = False
    ) -> list[tuple[int, bytes]]:
        """(position, body) of the shared events after position `at` (newest first: before
        it); empty only at the end of the log, however many events were withheld."""
        skip = self.shared(space).withheld
        limit = min(limit, MAX_LOG_PAGE)
        with self.wiring.engine.begin() as conn:
            while True:
                kept, last = store.kept_page(
                    conn, space, at, limit, skip, newest_first=newest_first
                )
                if kept or last is None:
                    return kept
                at = last

    def known(self, ids: Sequence[str]) -> set[str]:
        with self.wiring.engine.begin() as conn:
            return event_store.known_ids(conn, ids)

    def _check_replicated(self, space: str) -> Any:
        log = self.wiring.writer.log(space)
        if log is None:
            raise NotFound("not_replicated", f"this node does not hold space {space!r}")
        return log
