"""A space with some history, signed ahead of time and stored fast, for tests of a node
copying a space: a founder and three members, posts written in Markdown, a thread with a
reply among the newest events, and a forged event as a dishonest node would send it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from p2pvalue.events.canonical import digest
from p2pvalue.events.event import Event, build_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.store import events as store

NAME = "Seed library"
THREAD_TITLE = "Saturday opening"
CHUNK = 2000


@dataclass(frozen=True)
class Seeded:
    """The space's events in the order they were written, and the keys that wrote them."""

    events: list[Event]
    founder: KeyPair
    members: list[KeyPair]

    @property
    def space(self) -> str:
        return self.events[0].id


def post_text(index: int) -> str:
    return f"**note {index}** on the _catalogue_"


def seeded_space(count: int) -> Seeded:
    """`count` signed events in a linear chain: the space founded, three members joining,
    then posts by the four in turn; the 40th newest opens a thread, the 20th newest replies."""
    founder, members = KeyPair.generate(), [KeyPair.generate() for _ in range(3)]
    everyone = [founder, *members]
    ts = int(time.time() * 1000) - count
    content = {"name": NAME, "description": "Seeds kept in common", "charter":
               default_charter("open")}  # fmt: skip
    events = [build_event(founder, "space.create", content, space=None, ts=ts)]
    thread = ""
    for index in range(1, count):
        body: dict[str, Any] = {"text": post_text(index)}
        key, kind = everyone[index % 4], "post.create"
        if index <= len(members):
            key, kind, body = members[index - 1], "member.join", {}
        elif index == count - 40:
            kind, body = "thread.create", {"on": {"kind": "space"}, "title": THREAD_TITLE,
                                           "text": "Who *opens* on Saturday?"}  # fmt: skip
        elif index == count - 20:
            kind, body = "thread.reply", {"thread": thread, "text": "I do, from `10:00`"}
        event = build_event(key, kind, body, space=events[0].id, prev=[events[-1].id],
                            depth=index, ts=ts + index)  # fmt: skip
        thread = event.id if kind == "thread.create" else thread
        events.append(event)
    return Seeded(events, founder, members)


def store_raw(node: Node, seeded: Seeded) -> None:
    """Store the events as they are and derive the node's projections from them."""
    for start in range(0, len(seeded.events), CHUNK):
        with node.engine.begin() as conn:
            store.insert_events(conn, seeded.events[start : start + CHUNK])
    node.writer.rebuild()


def forged_line(seeded: Seeded) -> bytes:
    """The newest post with its text changed and its id and content hash made to match:
    the author's signature no longer verifies (`bad_signature`)."""
    newest = next(e for e in reversed(seeded.events) if e.type == "post.create")
    wire: dict[str, Any] = newest.wire
    wire["content"] = {"text": "FORGED: send your keys to the treasurer"}
    wire["content_hash"] = digest(wire["content"])
    return orjson.dumps(wire)
