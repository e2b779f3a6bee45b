"""The collaboration state a node keeps folded as its log grows (board, threads, documents)
equals a full refold of the log, whatever order the events arrive in: events on concurrent
branches that sort before what was folded, threads that arrive before the task, claim or
proposal they are on, revocations concurrent with the actions they void. A state handed
out never changes afterwards."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import LIGHT_HASHING
from histories import BRANCHES, Action, History, arrival_order
from p2pvalue.collab.service import Collab
from p2pvalue.collab.state import FOLDED_TYPES, CollabState, fold
from p2pvalue.config import init_data_dir
from p2pvalue.events.event import Event
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

KINDS = ("project", "archive", "task", "task", "claim_task", "assign", "submit", "done", "drop",
         "reopen", "thread", "thread", "reply", "reply", "edit", "react", "doc", "snapshot",
         "claim", "proposal", "remove")  # fmt: skip
OP = st.tuples(
    st.sampled_from(KINDS), st.integers(0, BRANCHES - 1), st.integers(0, 3),
    st.integers(0, 1000), st.integers(0, 4),
)  # (kind, branch, author, target, merge: 0 merges the branches)  # fmt: skip
OPS = st.lists(OP, min_size=10, max_size=60)
TARGETS = ("space", "project", "task", "proposal", "contribution")


def dump(state: CollabState) -> str:
    """Every field of the state, dict and list order included (sets sorted)."""
    fields = asdict(state)
    fields["claims"] = sorted(state.claims)
    return repr(fields)


def rebuilt(node: Node, space: str) -> str:
    """The state folded from scratch from every collaboration event the log now holds."""
    _, events = node.writer.events_of(space, FOLDED_TYPES)
    log = node.writer.log(space)
    assert log is not None and log.authority is not None
    return dump(fold(space, events or [], log.authority.proposals))


class CollabHistory(History):
    """Projects, tasks, threads, documents, claims and proposals on concurrent branches."""

    def __init__(self, generator: Node) -> None:
        super().__init__(generator, default_charter("open"))
        self.made_ids: dict[str, list[str]] = {}

    def made(self, kind: str, event: Event) -> None:
        if kind in ("project", "task", "thread", "reply", "doc", "claim", "proposal"):
            self.made_ids.setdefault(kind, []).append(event.id)

    def pick(self, kind: str, target: int) -> str | None:
        found = self.made_ids.get(kind)
        return found[target % len(found)] if found else None

    def action(self, kind: str, author: int, target: int) -> Action | None:
        key = self.members[author]
        if kind == "remove":
            return self.remove(author)
        content = self._content(kind, target)
        if content is None:
            return None
        type, body = content
        return key, type, body

    def _content(self, kind: str, target: int) -> tuple[str, dict[str, Any]] | None:
        task = self.pick("task", target)
        text = f"text {target}"
        if kind == "project":
            return "project.create", {"name": f"p{target}"}
        if kind == "archive" and (project := self.pick("project", target)):
            return "project.update", {"project": project, "status": "archived"}
        if kind == "task":
            project = self.pick("project", target) if target % 2 else None
            return "task.create", {
                "title": f"t{target}",
                **({"project": project} if project else {}),
            }
        if kind == "thread":
            return self._thread(target, text)
        if kind == "claim":
            return "contribution.claim", {"kind": "docs", "description": "d", "quantity": 1,
                                          "unit": "hours", "evidence": []}  # fmt: skip
        if kind == "proposal":
            return "proposal.create", {"title": f"p{target}", "action": {"type": "text"}}
        if kind == "doc":
            project = self.pick("project", target) if target % 2 else None
            return "doc.create", {
                "title": f"d{target}",
                **({"project": project} if project else {}),
            }
        if task is not None and kind in ("claim_task", "submit", "done", "reopen"):
            type = "task.claim" if kind == "claim_task" else f"task.{kind}"
            return type, {"task": task}
        if task is not None and kind == "assign":
            return "task.assign", {"task": task, "assignees": [self.members[target % 4].did]}
        if task is not None and kind == "drop":
            return "task.drop", {"task": task, "reason": "r"}
        return self._post(kind, target, text)

    def _in_project(self, target: int) -> dict[str, str]:
        project = self.pick("project", target) if target % 2 else None
        return {"project": project} if project else {}

    def _thread(self, target: int, text: str) -> tuple[str, dict[str, Any]] | None:
        on = TARGETS[target % len(TARGETS)]
        if on == "space":
            return "thread.create", {"on": {"kind": "space"}, "title": "t", "text": text}
        named = self.pick({"contribution": "claim"}.get(on, on), target // 5)
        if named is None:
            return None
        return "thread.create", {"on": {"kind": on, "id": named}, "title": "t", "text": text}

    def _post(self, kind: str, target: int, text: str) -> tuple[str, dict[str, Any]] | None:
        thread = self.pick("thread", target)
        post = self.pick("reply", target) if target % 2 else thread
        if kind == "reply" and thread:
            return "thread.reply", {"thread": thread, "text": text}
        if kind == "edit" and post:
            return "thread.edit", {"post": post, "text": f"{text} edited"}
        if kind == "react" and post:
            return "thread.react", {"post": post, "emoji": "+1", "on": target % 3 != 0}
        if kind == "snapshot" and (doc := self.pick("doc", target)):
            measure = {"bytes": target, "units": target, "authors": {}, "unattributed": target}
            return "doc.snapshot", {"doc": doc, "state": f"{target:064x}", **measure}
        return None


@pytest.fixture
def generator(tmp_path: Path) -> Iterator[Node]:
    with Node(init_data_dir(tmp_path / "generator"), password_hasher=LIGHT_HASHING) as running:
        yield running


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(ops=OPS, arrival=st.randoms(use_true_random=False))
def test_the_collab_state_folded_on_equals_a_refold_in_any_arrival_order(
    node: Node, generator: Node, ops: list[tuple[str, int, int, int, int]], arrival: random.Random
) -> None:
    history = CollabHistory(generator)
    for op in ops:
        history.step(*op)
    collab = node.service(Collab)
    wires = [event.wire for event in arrival_order(history.events, arrival)]
    handed: list[tuple[CollabState, str]] = []
    while wires:
        size = arrival.randint(1, 6)
        batch, wires = wires[:size], wires[size:]
        node.ingest(batch, hold_missing=True)
        if node.writer.log(history.space) is not None:
            state = collab.state(history.space)
            assert dump(state) == rebuilt(node, history.space)
            handed.append((state, dump(state)))
    assert node.space(history.space).events == len(history.events)
    assert dump(collab.state(history.space)) == dump(generator.service(Collab).state(history.space))
    for state, seen in handed:
        assert dump(state) == seen


def test_a_state_handed_out_does_not_change_as_the_log_grows(node: Node) -> None:
    history = CollabHistory(node)
    for op in [("task", 0, 1, 0, 0), ("thread", 0, 1, 0, 0), ("claim_task", 0, 2, 0, 0)]:
        history.step(*op)
    collab = node.service(Collab)
    before = collab.state(history.space)
    seen = dump(before)
    for op in [("submit", 0, 2, 0, 0), ("reply", 0, 3, 0, 0), ("react", 0, 1, 0, 0),
               ("edit", 0, 0, 0, 0), ("done", 0, 1, 0, 0)]:  # fmt: skip
        history.step(*op)
    after = collab.state(history.space)
    assert dump(before) == seen
    [task] = after.board.tasks.values()
    [thread] = after.threads.threads.values()
    assert (task.status, len(thread.posts)) == ("done", 2)
    assert before.board.tasks[task.id].status == "claimed"
    assert len(before.threads.threads[thread.id].posts) == 1
