"""What a public space says to the fediverse, as ActivityStreams documents: pure functions
from events to Notes, and the activities that carry them.

A post (`post.create`) is a `Note` attributed to its author's `Person`, and so are a
thread's opening post (`thread.create`, whose title is the Note's `name` and its first
paragraph) and each post in it (`thread.reply`, `inReplyTo` the opening post's Note); a
decision
(`proposal.close`) is a `Note` attributed to the `Group` itself, naming the proposal and
its outcome. Each is created (`Create`) by its author and, as FEP-1b12 has groups do,
`Announce`d by the group to its followers, with the whole `Create` embedded. Mastodon
shows such an announce as the group boosting the note (it reads the `Create` at its id,
which this node serves, and the author at theirs).
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from p2pvalue.fediverse.actors import CONTEXT, PUBLIC, Urls, paragraphs

POST = "post.create"
DECISION = "proposal.close"
THREAD = "thread.create"
THREAD_REPLY = "thread.reply"
AUTHORED_TYPES = frozenset({POST, THREAD, THREAD_REPLY})  # what a member's Notes are
PUBLIC_TYPES = AUTHORED_TYPES | {DECISION}
OUTCOMES = {"passed": "passed", "rejected": "was rejected"}


@dataclass(frozen=True)
class Item:
    """One public thing a space says: a post by a member, or a decision of the group."""

    event_id: str
    space: str
    author: str | None  # the member's did; None: the group itself
    ts: int
    html: str
    title: str | None = None  # a thread's title
    in_reply_to: str | None = None  # the event id of the Note this one answers


def item_of(
    event_id: str, space: str, type: str, author: str, ts: int, content: Mapping[str, Any],
    title_of: Callable[[str], str | None],
) -> Item | None:  # fmt: skip
    """The public item an event is, if it is one: a post with its text, or a decision with
    its proposal's title (`title_of` the proposal id), a thread's opening post with its
    title, or a post in a thread answering the opening post; None for any other event, or
    one whose content was erased."""
    text = content.get("text")
    if type == POST and isinstance(text, str):
        return Item(event_id, space, author, ts, paragraphs(text))
    if type == THREAD and isinstance(text, str) and isinstance(content.get("title"), str):
        title = content["title"]
        said = f"<p><strong>{html.escape(title)}</strong></p>{paragraphs(text)}"
        return Item(event_id, space, author, ts, said, title=title)
    if type == THREAD_REPLY and isinstance(text, str) and isinstance(content.get("thread"), str):
        return Item(event_id, space, author, ts, paragraphs(text), in_reply_to=content["thread"])
    if type == DECISION and content.get("outcome") in OUTCOMES:
        title = title_of(str(content.get("proposal"))) or "a proposal"
        said = (
            f"<p>Decision: <strong>{html.escape(title)}</strong> "
            f"{OUTCOMES[content['outcome']]}.</p>"
        )
        return Item(event_id, space, None, ts, said)
    return None


def published(ts: int) -> str:
    """A timestamp in ms as ActivityStreams writes dates (`2024-05-01T12:00:00Z`)."""
    return datetime.fromtimestamp(ts / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def attributed_to(urls: Urls, item: Item) -> str:
    return urls.member(item.author) if item.author is not None else urls.group(item.space)


def note(urls: Urls, item: Item) -> dict[str, Any]:
    """The `Note` of an item: public, in the group's audience, cc its followers; a thread's
    title is its `name`, and a post in a thread is `inReplyTo` the Note it answers."""
    group = urls.group(item.space)
    written: dict[str, Any] = {
        "@context": CONTEXT,
        "id": urls.note(item.event_id),
        "type": "Note",
        "attributedTo": attributed_to(urls, item),
        "audience": group,
        "to": [PUBLIC],
        "cc": [group, f"{group}/followers"],
        "content": item.html,
        "published": published(item.ts),
        "url": urls.page(item.space),
    }
    if item.title is not None:
        written["name"] = item.title
    if item.in_reply_to is not None:
        written["inReplyTo"] = urls.note(item.in_reply_to)
    return written


def create(urls: Urls, item: Item) -> dict[str, Any]:
    """The author's `Create` of the item's note, with the note embedded."""
    embedded = note(urls, item)
    return {
        "@context": CONTEXT,
        "id": urls.create(item.event_id),
        "type": "Create",
        "actor": embedded["attributedTo"],
        "audience": embedded["audience"],
        "to": embedded["to"],
        "cc": embedded["cc"],
        "published": embedded["published"],
        "object": _bare(embedded),
    }


def announce(urls: Urls, item: Item) -> dict[str, Any]:
    """The group's `Announce` of the item's `Create` to its followers (FEP-1b12)."""
    group = urls.group(item.space)
    return {
        "@context": CONTEXT,
        "id": urls.announce(item.event_id),
        "type": "Announce",
        "actor": group,
        "to": [PUBLIC],
        "cc": [f"{group}/followers"],
        "published": published(item.ts),
        "object": _bare(create(urls, item)),
    }


def delete(urls: Urls, event_id: str, author: str) -> dict[str, Any]:
    """The author's `Delete` of a note whose content they erased, leaving a `Tombstone`."""
    actor = urls.member(author)
    return {
        "@context": CONTEXT,
        "id": f"{urls.note(event_id)}#delete",
        "type": "Delete",
        "actor": actor,
        "to": [PUBLIC],
        "object": tombstone(urls, event_id),
    }


def tombstone(urls: Urls, event_id: str) -> dict[str, Any]:
    return {"id": urls.note(event_id), "type": "Tombstone"}


def accept(urls: Urls, space: str, follow: Mapping[str, Any]) -> dict[str, Any]:
    """The group's `Accept` of a `Follow`, which it embeds as it was received."""
    group = urls.group(space)
    tag = hashlib.sha256(str(follow.get("id")).encode()).hexdigest()[:16]
    return {
        "@context": CONTEXT,
        "id": f"{group}#accept-{tag}",
        "type": "Accept",
        "actor": group,
        "to": [follow.get("actor")],
        "object": {k: v for k, v in follow.items() if k != "@context"},
    }


def outbox(urls: Urls, space: str, total: int) -> dict[str, Any]:
    """The group's outbox: how many announces it holds, and where its first page is."""
    return collection(f"{urls.group(space)}/outbox", total)


def outbox_page(
    urls: Urls, space: str, items: list[Item], before: int | None, next_before: int | None
) -> dict[str, Any]:
    """A page of the outbox, newest first: the group's announces of `items`; `next` when
    older ones remain (before position `next_before`)."""
    announces = [_bare(announce(urls, item)) for item in items]
    return collection_page(f"{urls.group(space)}/outbox", announces, before, next_before)


def member_outbox(urls: Urls, did: str, total: int) -> dict[str, Any]:
    """A member's outbox: how many public posts they made, and where its first page is."""
    return collection(urls.member_outbox(did), total)


def member_outbox_page(
    urls: Urls, did: str, items: list[Item], before: int | None, next_before: int | None
) -> dict[str, Any]:
    """A page of a member's outbox, newest first: their `Create`s of `items`."""
    creates = [_bare(create(urls, item)) for item in items]
    return collection_page(urls.member_outbox(did), creates, before, next_before)


def collection(url: str, total: int) -> dict[str, Any]:
    """An `OrderedCollection` at `url` of `total` items, paged from `{url}?page=true`."""
    return {"@context": CONTEXT, "id": url, "type": "OrderedCollection",
            "totalItems": total, "first": f"{url}?page=true"}  # fmt: skip


def collection_page(
    url: str, documents: list[dict[str, Any]], before: int | None, next_before: int | None
) -> dict[str, Any]:
    """A page of the collection at `url` holding `documents`, newest first; `next` when
    older ones remain (before `next_before`)."""
    page: dict[str, Any] = {
        "@context": CONTEXT,
        "id": f"{url}?page=true" + (f"&before={before}" if before is not None else ""),
        "type": "OrderedCollectionPage",
        "partOf": url,
        "orderedItems": documents,
    }
    if next_before is not None:
        page["next"] = f"{url}?page=true&before={next_before}"
    return page


def followers(urls: Urls, space: str, total: int) -> dict[str, Any]:
    """The group's followers collection: their number only, not who they are."""
    return {"@context": CONTEXT, "id": f"{urls.group(space)}/followers",
            "type": "OrderedCollection", "totalItems": total}  # fmt: skip


def _bare(document: dict[str, Any]) -> dict[str, Any]:
    """A document without its `@context`, to embed in another."""
    return {k: v for k, v in document.items() if k != "@context"}
