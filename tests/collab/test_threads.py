"""Threads folded without a node: targets, replies, edit history, reactions, refusals."""

from __future__ import annotations

import itertools
from typing import Any

from p2pvalue.collab.threads import Threads, fold
from p2pvalue.events.authority import Authority, Membership
from p2pvalue.events.authority import AuthorizedEvent as ValueEvent
from p2pvalue.events.charter import charter_from_content
from p2pvalue.governance.templates import default_charter

A, B = "did:key:z6MkAlice", "did:key:z6MkBob"
TASK = "t" * 43


def targets(kind: str, target: str | None) -> str | None:
    if kind == "task":
        return None if target == TASK else "unknown_task"
    return None if kind == "space" else "unknown_target"


class Log:
    def __init__(self) -> None:
        members = {did: Membership("member", frozenset({"member"})) for did in (A, B)}
        charter = charter_from_content(default_charter())
        self.authority = Authority("space", "Commons", A, charter, members)
        self.events: list[ValueEvent] = []
        self.ids = itertools.count()

    def add(self, type: str, author: str, content: dict[str, Any]) -> str:
        event_id = f"e{next(self.ids)}"
        ts = 1000 + len(self.events)
        self.events.append(ValueEvent(event_id, type, author, ts, content, self.authority))
        return event_id

    def threads(self) -> Threads:
        return fold(self.events, targets)


def test_posts_keep_every_version_and_count_reactions() -> None:
    log = Log()
    thread = log.add("thread.create", A, {"on": {"kind": "task", "id": TASK}, "title": "Colour",
                                          "text": "Blue?"})  # fmt: skip
    reply = log.add("thread.reply", B, {"thread": thread, "text": "Green"})
    first = log.add("thread.edit", A, {"post": thread, "text": "Blue or red?"})
    second = log.add("thread.edit", A, {"post": thread, "text": "Red."})
    for who in (A, B):
        log.add("thread.react", who, {"post": reply, "emoji": "👍", "on": True})
    log.add("thread.react", A, {"post": reply, "emoji": "👍", "on": False})
    log.add("thread.react", A, {"post": reply, "emoji": "🎉", "on": True})
    found = log.threads()
    assert found.void == {}
    post = found.posts[thread]
    assert [(v.event, v.ts, v.text) for v in post.versions] == [
        (thread, 1000, "Blue?"), (first, 1002, "Blue or red?"), (second, 1003, "Red.")
    ]  # fmt: skip
    assert post.text == "Red."
    assert found.posts[reply].reactions == {"👍": [B], "🎉": [A]}
    assert found.threads[thread].posts == [thread, reply]
    assert [t.id for t in found.on("task", TASK)] == [thread] and found.on("space") == []


def test_refused_thread_events_are_void() -> None:
    log = Log()
    thread = log.add("thread.create", A, {"on": {"kind": "space"}, "title": "Hi", "text": "x"})
    cases = {
        log.add(
            "thread.create", A, {"on": {"kind": "task", "id": "u" * 43}, "title": "t", "text": "x"}
        ): "unknown_task",
        log.add(
            "thread.create",
            A,
            {"on": {"kind": "proposal", "id": "p" * 43}, "title": "t", "text": "x"},
        ): "unknown_target",
        log.add("thread.reply", B, {"thread": "r" * 43, "text": "x"}): "unknown_thread",
        log.add("thread.edit", B, {"post": thread, "text": "mine now"}): "not_the_author",
        log.add("thread.edit", A, {"post": thread, "text": "x"}): "edit_unchanged",
        log.add("thread.edit", A, {"post": "q" * 43, "text": "y"}): "unknown_post",
        log.add("thread.react", B, {"post": thread, "emoji": "👍", "on": False}): "not_reacted",
    }
    log.add("thread.react", B, {"post": thread, "emoji": "👍", "on": True})
    cases[log.add("thread.react", B, {"post": thread, "emoji": "👍", "on": True})] = (
        "already_reacted"
    )
    found = log.threads()
    assert found.void == cases
    assert found.posts[thread].text == "x"
