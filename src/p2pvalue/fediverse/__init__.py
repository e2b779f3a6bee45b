"""The fediverse face of a node: each public space is an ActivityPub `Group` that anyone on
Mastodon (or any ActivityPub server) can follow, and that announces the space's posts and
decisions to its followers (FEP-1b12).

`Fediverse` wires it for one node: the documents the routes serve (`actors`,
`activities`), the inbox (`inbox`: signature checks, then follows stored and accepted), and
the listener on the write path that queues deliveries (`delivery`, whose `Deliverer`
sends them). With no public URL the node has no fediverse face: every document is 404.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from anyio import to_thread
from cryptography.hazmat.primitives.asymmetric import rsa

from p2pvalue import outbound
from p2pvalue.domain import Wiring
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.event import Event, now_ms
from p2pvalue.fediverse import activities, actors, delivery, replies
from p2pvalue.fediverse.actors import Urls, is_public
from p2pvalue.fediverse.inbox import FollowRequest, Incoming, Unfollow, interpret, verified
from p2pvalue.fediverse.keys import actor_key, public_pem
from p2pvalue.fediverse.remote import RemoteActor, RemoteActors, signed_get
from p2pvalue.store import activitypub as store
from p2pvalue.store.database import writing
from p2pvalue.store.directory import SpaceSummary
from p2pvalue.store.events import StoredEvent
from p2pvalue.store.social import profile

__all__ = ["Fediverse", "is_public"]
LOG = logging.getLogger(__name__)
OUTBOX_PAGE = 20


class Fediverse:
    """A node's Group actors, their inboxes and outboxes, and its queue of deliveries."""

    def __init__(self, wiring: Wiring) -> None:
        """The actor key is made when needed."""
        self.wiring = wiring
        self.wake: list[Callable[[], None]] = []  # what the Deliverer registers
        self.outbound = outbound.Policy.of(wiring.config.outbound_allow)
        self.remote = RemoteActors(self._sign_get, policy=self.outbound)
        self.replies = replies.RemoteReplies(wiring.engine, wiring.directory)

    @property
    def enabled(self) -> bool:
        return self.wiring.config.public_url is not None

    @property
    def urls(self) -> Urls:
        """The node's ActivityPub IRIs; `activitypub_disabled` without a public URL."""
        base = self.wiring.config.public_url
        if base is None:
            raise NotFound("activitypub_disabled", "this node has no public URL: no fediverse")
        return Urls(base)

    @cached_property
    def key(self) -> rsa.RSAPrivateKey:
        return actor_key(self.wiring.config.data_dir)

    @cached_property
    def pem(self) -> str:
        return public_pem(self.key)

    def handles(self) -> dict[str, str]:
        """Each space's handle (see `actors.group_handles`)."""
        return actors.group_handles((s.id, s.name) for s in self.wiring.directory.spaces())

    def public_space(self, space: str) -> SpaceSummary:
        """The summary of a public space; `unknown_group` for any other id."""
        try:
            summary = self.wiring.directory.space(space)
        except NotFound:
            summary = None
        if summary is None or not is_public(summary):
            raise NotFound("unknown_group", f"no public space {space!r} on this node")
        return summary

    def group(self, space: str) -> dict[str, Any]:
        urls, summary = self.urls, self.public_space(space)
        handle = self.handles()[space]
        return actors.group_actor(urls, space, handle, summary.name, summary.description, self.pem)

    def person(self, did: str) -> dict[str, Any]:
        """The Person of a member of a public space here; `unknown_member` otherwise."""
        urls = self.urls
        self._public_spaces_of(did)
        return actors.person_actor(urls, did, self.name_of(did), self.pem)

    def member_outbox(self, did: str, *, page: bool, before: int | None) -> dict[str, Any]:
        """A member's outbox (their posts and thread posts in the public spaces here, as
        `Create`s), or a page of it, newest first, before an arrival number;
        `unknown_member` as `person`."""
        urls, spaces, posts = self.urls, self._public_spaces_of(did), activities.AUTHORED_TYPES
        with self.wiring.engine.begin() as conn:
            if not page:
                total = store.authored_count(conn, did, spaces, posts)
                return activities.member_outbox(urls, did, total)
            found = store.authored_events(conn, did, spaces, posts, before=before,
                                          limit=OUTBOX_PAGE)  # fmt: skip
        items = [item for item in (self._item(stored) for _, stored in found) if item]
        more = found[-1][0] if len(found) == OUTBOX_PAGE else None
        return activities.member_outbox_page(urls, did, items, before, more)

    def application(self) -> dict[str, Any]:
        return actors.application_actor(self.urls, self.pem)

    def webfinger(self, resource: str | None) -> dict[str, Any]:
        """The JRD of `acct:{handle}@{host}` (or of an actor's IRI) for a group, a member
        or the node's own actor; `unknown_resource` for anything else."""
        urls = self.urls
        if not resource:
            raise P2PError("bad_resource", "ask for ?resource=acct:{handle}@{host}", 400)
        handle = actors.acct_handle(resource, urls.host)
        if handle == actors.APPLICATION_HANDLE or resource == urls.application:
            return actors.webfinger(urls, actors.APPLICATION_HANDLE, urls.application, None)
        for space, name in self.handles().items():
            if (handle == name or resource == urls.group(space)) and self._is_public(space):
                return actors.webfinger(urls, name, urls.group(space), urls.page(space))
        did = self._member_of(resource, handle)
        if did is not None:
            return actors.webfinger(urls, actors.member_handle(did), urls.member(did), None)
        raise NotFound("unknown_resource", f"no actor here is {resource!r}")

    def outbox(self, space: str, *, page: bool, before: int | None) -> dict[str, Any]:
        """The group's outbox, or a page of it (newest first, before a log position)."""
        urls = self.urls
        self.public_space(space)
        types = activities.PUBLIC_TYPES
        with self.wiring.engine.begin() as conn:
            if not page:
                return activities.outbox(urls, space, store.public_count(conn, space, types))
            found = store.public_events(conn, space, types, before=before, limit=OUTBOX_PAGE)
        items = [item for item in map(self._item, found) if item is not None]
        more = found[-1].position if len(found) == OUTBOX_PAGE else None
        return activities.outbox_page(urls, space, items, before, more)

    def followers(self, space: str) -> dict[str, Any]:
        urls = self.urls
        self.public_space(space)
        with self.wiring.engine.begin() as conn:
            return activities.followers(urls, space, store.follower_count(conn, space))

    def published(self, event_id: str, kind: str) -> tuple[int, dict[str, Any]]:
        """(status, document) of an event's `note`, `create` or `announce`: 200 and the
        document, or 410 and a Tombstone once its author erased it; `unknown_object` for
        anything that is not an accepted public item of a public space."""
        urls = self.urls
        try:
            stored = self.wiring.directory.event(event_id)
        except NotFound:
            stored = None
        if stored is None or not stored.accepted or not self._is_public(stored.space):
            raise NotFound("unknown_object", f"no public object {event_id!r} here")
        item = self._item(stored)
        erased = "content" not in stored.wire
        if item is None and stored.type in activities.AUTHORED_TYPES and erased:
            return 410, {"@context": actors.CONTEXT, **activities.tombstone(urls, event_id)}
        if item is None:
            raise NotFound("unknown_object", f"no public object {event_id!r} here")
        build = {"note": activities.note, "create": activities.create,
                 "announce": activities.announce}[kind]  # fmt: skip
        return 200, build(urls, item)

    async def receive(self, incoming: Incoming) -> str:
        """Take a signed activity from a group's (or the shared) inbox: a Follow is stored
        and answered with an Accept, an Undo of one forgets it; a reply to a Note here is
        kept, edited or removed (`replies`). What it did, in a word; a P2PError, with
        nothing stored, for a request or activity refused."""
        urls = self.urls
        actor, activity = await verified(incoming, self.remote, datetime.now(UTC))
        about_note = replies.asked(activity)
        if about_note is not None:
            return await to_thread.run_sync(self.replies.take, urls, actor, about_note)
        asked = interpret(activity)
        if isinstance(asked, FollowRequest):
            await to_thread.run_sync(self._follow, urls, actor, asked)
            return "followed"
        gone = await to_thread.run_sync(self._unfollow, urls, actor, asked)
        return "unfollowed" if gone else "not_following"

    def committed(self, events: Sequence[Event], origin: str | None) -> None:
        """Queue the announces of newly committed public posts and decisions (and the
        deletes of erased posts) for the followers of their spaces. Never raises: the
        events are committed whatever becomes of their delivery."""
        if not self.enabled:
            return
        try:
            rows = delivery.rows_for(self, events)
            if rows:
                with writing(self.wiring.engine) as conn:
                    store.enqueue(conn, rows, now_ms())
                self._wake()
        except Exception:
            LOG.exception("queueing %d event(s) for the fediverse failed", len(events))

    def item_of(self, event_id: str, space: str, type: str, author: str, ts: int,
                content: Any) -> activities.Item | None:  # fmt: skip
        return activities.item_of(event_id, space, type, author, ts, content, self._title_of)

    def name_of(self, did: str) -> str:
        """What Mastodon shows as a member's name: their public display name, else their
        username here, else a short form of their did."""
        with self.wiring.engine.begin() as conn:
            shown = [f.value for f in profile(conn, did)
                     if f.field == "display_name" and f.visibility == "public"]  # fmt: skip
        if shown:
            return str(shown[0])
        username = self.wiring.accounts.names([did]).get(did)
        return username or f"member {did[-8:]}"

    def _item(self, stored: StoredEvent) -> activities.Item | None:
        content = stored.wire.get("content")
        if not isinstance(content, dict):
            return None
        return self.item_of(stored.id, stored.space, stored.type, stored.author, stored.ts,
                            content)  # fmt: skip

    def _title_of(self, proposal: str) -> str | None:
        try:
            title = self.wiring.directory.event(proposal).wire.get("content", {}).get("title")
        except NotFound:
            return None
        return title if isinstance(title, str) else None

    def _public_spaces_of(self, did: str) -> list[str]:
        """The public spaces here whose member list names `did`; `unknown_member` if none."""
        with self.wiring.engine.begin() as conn:
            spaces = [s for s in store.spaces_of_member(conn, did) if self._is_public(s)]
        if not spaces:
            raise NotFound("unknown_member", "no member of a public space has this did")
        return spaces

    def _is_public(self, space: str) -> bool:
        try:
            return is_public(self.wiring.directory.space(space))
        except NotFound:
            return False

    def _member_of(self, resource: str, handle: str | None) -> str | None:
        """The did a member resource names: their actor IRI, or their handle."""
        prefix = self.urls.member("")
        if resource.startswith(prefix):
            did = resource[len(prefix) :]
            return did if self._has_person(did) else None
        if handle is None or not handle.startswith(actors.MEMBER_PREFIX):
            return None
        with self.wiring.engine.begin() as conn:
            dids = {did for s in self.wiring.directory.spaces() if is_public(s)
                    for did in store.member_dids(conn, s.id)}  # fmt: skip
        return next((did for did in sorted(dids) if actors.member_handle(did) == handle), None)

    def _has_person(self, did: str) -> bool:
        try:
            self.person(did)
        except NotFound:
            return False
        return True

    def _space_of(self, urls: Urls, group: str) -> str:
        """The id of the public space whose group is `group`; `unknown_group` otherwise."""
        space = _space_id(urls, group)
        self.public_space(space)
        return space

    def _follow(self, urls: Urls, actor: RemoteActor, asked: FollowRequest) -> None:
        space = self._space_of(urls, asked.group)
        follower = store.Follower(
            space, actor.id, actor.inbox, actor.shared_inbox, str(asked.follow["id"])
        )
        accept = delivery.body(activities.accept(urls, space, asked.follow))
        with writing(self.wiring.engine) as conn:
            store.follow(conn, follower, now_ms())
            store.enqueue(conn, [(actor.inbox, urls.group(space), accept)], now_ms())
        LOG.info("%s follows space %s", actor.id, space)
        self._wake()

    def _unfollow(self, urls: Urls, actor: RemoteActor, asked: Unfollow) -> bool:
        # A space that stopped being public still lets its followers go.
        space = None if asked.group is None else _space_id(urls, asked.group)
        with writing(self.wiring.engine) as conn:
            if space is not None:
                gone = store.unfollow(conn, space, actor.id)
            else:
                gone = store.unfollow_by_id(conn, asked.follow_id, actor.id)
        return gone > 0

    def _wake(self) -> None:
        for wake in self.wake:
            wake()

    def _sign_get(self, url: str) -> dict[str, str]:
        return signed_get(self.key, f"{self.urls.application}#main-key")(url)


def _space_id(urls: Urls, group: str) -> str:
    """The space id in a group IRI of this node; `unknown_group` for any other IRI."""
    prefix = urls.group("")
    space = group[len(prefix) :] if group.startswith(prefix) else ""
    if not space or "/" in space:
        raise NotFound("unknown_group", f"{group!r} is not a group of this node")
    return space
