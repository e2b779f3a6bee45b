"""Replies from the fediverse: a `Create{Note}` whose `inReplyTo` is a Note of a public
space here becomes a reply kept on this node and shown in the thread it answers; the
author's `Update{Note}` edits its text and their `Delete` removes it.

Remote actors hold no member key, so these replies are not events of the signed log: they
live in the node-local table `ap_replies`, keyed by the Note's id (a redelivery is the
same reply), and are not replicated to other nodes. The Note's HTML is kept as plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import nh3
from sqlalchemy import Connection, Engine

from p2pvalue.errors import Forbidden, NotFound, P2PError
from p2pvalue.events.event import now_ms
from p2pvalue.fediverse.actors import Urls, is_public
from p2pvalue.fediverse.inbox import id_of
from p2pvalue.fediverse.remote import RemoteActor
from p2pvalue.store import activitypub as store
from p2pvalue.store.database import writing
from p2pvalue.store.directory import Directory
from p2pvalue.store.events import StoredEvent

MAX_REPLY_BYTES = 20 * 1024
# What a reply may answer: the Notes a space publishes, and the posts of its threads.
ANSWERABLE = frozenset({"post.create", "proposal.close", "thread.create", "thread.reply"})
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"</p>\s*<p(\s[^>]*)?>", re.IGNORECASE)


@dataclass(frozen=True)
class NoteWritten:
    """A `Create` (`edit` False) or `Update` (`edit` True) of the Note `note`."""

    note: Mapping[str, Any]
    edit: bool


@dataclass(frozen=True)
class NoteDeleted:
    """A `Delete` of the Note (or Tombstone) whose id is `note_id`."""

    note_id: str


def asked(activity: Mapping[str, Any]) -> NoteWritten | NoteDeleted | None:
    """What a reply activity asks, or None for an activity that is not about a Note."""
    kind, found = activity["type"], activity.get("object")
    if kind in ("Create", "Update") and isinstance(found, dict) and found.get("type") == "Note":
        return NoteWritten(found, kind == "Update")
    if kind == "Delete" and id_of(found) is not None:
        if isinstance(found, dict) and found.get("type") not in ("Note", "Tombstone"):
            return None
        return NoteDeleted(str(id_of(found)))
    return None


def text_of(note: Mapping[str, Any]) -> str:
    """A Note's content as plain text, paragraphs and line breaks kept: every tag stripped
    by the sanitiser the node uses (nh3), then its entities read; `reply_too_large` over
    `MAX_REPLY_BYTES`."""
    content = note.get("content")
    if not isinstance(content, str) or not content.strip():
        raise P2PError("malformed_activity", "a reply's Note has a content", 400)
    if len(content.encode()) > MAX_REPLY_BYTES:
        raise P2PError("reply_too_large", f"a reply is at most {MAX_REPLY_BYTES} bytes", 413)
    broken = _PARAGRAPH.sub("\n\n", _BREAK.sub("\n", content))
    return html.unescape(nh3.clean(broken, tags=set())).strip()


def handle_of(actor: RemoteActor) -> str:
    """`preferredUsername@host` of an actor (the end of its id when it gives no name)."""
    parts = urlsplit(actor.id)
    name = actor.username or parts.path.rstrip("/").rsplit("/", 1)[-1] or "someone"
    return f"{name}@{parts.netloc}"


class RemoteReplies:
    """Keeps, edits and removes the replies of fediverse actors to a node's public Notes,
    and reads them back for the pages that show them."""

    def __init__(self, engine: Engine, directory: Directory) -> None:
        self.engine = engine
        self.directory = directory

    def take(self, urls: Urls, actor: RemoteActor, asked: NoteWritten | NoteDeleted) -> str:
        """Do what `asked` says, as `actor`; what was done, in a word. A P2PError, with
        nothing changed, when `actor` is not the Note's author or the Note answers
        nothing of a public space here."""
        if isinstance(asked, NoteDeleted):
            return self._delete(actor, asked.note_id)
        note_id = id_of(asked.note.get("id"))
        if note_id is None:
            raise P2PError("malformed_activity", "a Note has an id", 400)
        if id_of(asked.note.get("attributedTo")) != actor.id:
            raise _not_author(f"the Note is not attributed to {actor.id}, who signed it")
        text = text_of(asked.note)
        if asked.edit:
            return self._edit(actor, note_id, text)
        return self._add(urls, actor, note_id, asked.note, text)

    def in_thread(self, space: str, thread: str) -> list[store.RemoteReply]:
        """The replies shown in a thread of `space` (to it or to its posts), oldest first."""
        with self.engine.begin() as conn:
            return store.thread_replies(conn, space, thread)

    def to_events(self, space: str, answered: Iterable[str]) -> dict[str, list[store.RemoteReply]]:
        """The replies to each of the events `answered` of `space` that has any, oldest
        first."""
        wanted = set(answered)
        if not wanted:
            return {}
        by_event: dict[str, list[store.RemoteReply]] = {}
        with self.engine.begin() as conn:
            for reply in store.replies_to(conn, space, wanted):
                by_event.setdefault(reply.in_reply_to, []).append(reply)
        return by_event

    def _add(
        self, urls: Urls, actor: RemoteActor, note_id: str, note: Mapping[str, Any], text: str
    ) -> str:
        target = self._answered(urls, id_of(note.get("inReplyTo")))
        reply = store.RemoteReply(
            note_id, target.space, target.id, _thread_of(target), actor.id, handle_of(actor),
            actor.name or handle_of(actor), actor.url or actor.id, text, now_ms(),
        )  # fmt: skip
        with writing(self.engine) as conn:
            added = store.add_reply(conn, reply)
        return "replied" if added else "already_kept"

    def _edit(self, actor: RemoteActor, note_id: str, text: str) -> str:
        with writing(self.engine) as conn:
            if self._kept(conn, actor, note_id) is None:
                return "not_kept"
            store.edit_reply(conn, note_id, text, now_ms())
        return "edited"

    def _delete(self, actor: RemoteActor, note_id: str) -> str:
        with writing(self.engine) as conn:
            if self._kept(conn, actor, note_id) is None:
                return "not_kept"
            store.remove_reply(conn, note_id)
        return "deleted"

    @staticmethod
    def _kept(conn: Connection, actor: RemoteActor, note_id: str) -> store.RemoteReply | None:
        """The reply kept under `note_id`; `not_the_author` when another actor wrote it."""
        kept = store.reply_of(conn, note_id)
        if kept is not None and kept.actor != actor.id:
            raise _not_author(f"the reply {note_id!r} is not by {actor.id}")
        return kept

    def _answered(self, urls: Urls, in_reply_to: str | None) -> StoredEvent:
        """The accepted event of a public space here whose Note `in_reply_to` names;
        `unknown_reply_target` otherwise."""
        prefix, named = urls.note(""), in_reply_to or ""
        event_id = named[len(prefix) :] if named.startswith(prefix) else ""
        try:
            stored = self.directory.event(event_id) if event_id and "/" not in event_id else None
            public = stored is not None and is_public(self.directory.space(stored.space))
        except NotFound:
            stored, public = None, False
        if stored is None or not public or not stored.accepted or stored.type not in ANSWERABLE:
            raise P2PError(
                "unknown_reply_target", "the Note answers no public post or thread here", 422
            )
        return stored


def _thread_of(target: StoredEvent) -> str | None:
    """The thread a reply to `target` shows in: the thread itself, or a thread post's."""
    if target.type == "thread.create":
        return target.id
    thread = target.wire.get("content", {}).get("thread")
    return thread if target.type == "thread.reply" and isinstance(thread, str) else None


def _not_author(message: str) -> Forbidden:
    return Forbidden("not_the_author", message)
