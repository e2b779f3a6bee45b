"""The board folded without a node: the task lifecycle graph, refusals, history, drafts."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from p2pvalue.collab.board import TASK_GRAPH, Board, Task, check, claim_draft, fold
from p2pvalue.events.authority import Authority, Membership
from p2pvalue.events.authority import AuthorizedEvent as ValueEvent
from p2pvalue.events.charter import charter_from_content
from p2pvalue.governance.templates import default_charter

MEMBERS = [f"did:key:z6Mk{name}" for name in ("Alice", "Bob", "Carol", "Dan")]
A, B, C, D = MEMBERS
OUTSIDER = "did:key:z6MkEve"
T0 = 1_764_115_200_000
UNITS = {"code": "hours", "docs": "hours", "time": "hours", "resource": "units", "money": "money"}


def authority() -> Authority:
    members = {did: Membership("member", frozenset({"member"})) for did in MEMBERS}
    return Authority("space", "Commons", A, charter_from_content(default_charter()), members)


class Log:
    """Board events of one space, made in order, folded on demand."""

    def __init__(self) -> None:
        self.authority = authority()
        self.events: list[ValueEvent] = []
        self.ids = itertools.count()

    def event(self, type: str, author: str, content: dict[str, Any]) -> ValueEvent:
        event_id = f"e{next(self.ids)}"
        return ValueEvent(event_id, type, author, T0 + len(self.events), content, self.authority)

    def add(self, type: str, author: str, content: dict[str, Any]) -> str:
        self.events.append(self.event(type, author, content))
        return self.events[-1].id

    def board(self) -> Board:
        return fold(self.events)


# A task created by A; B works on it. How to bring it to each state:
PATHS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "open": [],
    "claimed": [("task.claim", B, {})],
    "in_review": [("task.claim", B, {}), ("task.submit", B, {})],
    "done": [("task.claim", B, {}), ("task.submit", B, {}), ("task.done", A, {})],
    "dropped": [("task.drop", A, {"reason": "no longer needed"})],
}
# Each action, by whom it is tried (C claims: a newcomer), and its extra content.
ACTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "task.claim": (C, {}),
    "task.assign": (A, {"assignees": [C]}),
    "task.submit": (B, {}),
    "task.done": (A, {}),
    "task.drop": (A, {"reason": "x"}),
    "task.reopen": (A, {}),
}
# The lifecycle, written out: the state each action leads to, or the refusal.
EXPECTED: dict[tuple[str, str], str] = {
    ("open", "task.claim"): "claimed",
    ("open", "task.assign"): "claimed",
    ("open", "task.submit"): "task_not_claimed",
    ("open", "task.done"): "task_not_in_review",
    ("open", "task.drop"): "dropped",
    ("open", "task.reopen"): "task_not_closed",
    ("claimed", "task.claim"): "claimed",
    ("claimed", "task.assign"): "claimed",
    ("claimed", "task.submit"): "in_review",
    ("claimed", "task.done"): "task_not_in_review",
    ("claimed", "task.drop"): "dropped",
    ("claimed", "task.reopen"): "task_not_closed",
    ("in_review", "task.claim"): "task_not_open",
    ("in_review", "task.assign"): "task_not_open",
    ("in_review", "task.submit"): "task_not_claimed",
    ("in_review", "task.done"): "done",
    ("in_review", "task.drop"): "dropped",
    ("in_review", "task.reopen"): "task_not_closed",
    ("done", "task.claim"): "task_already_done",
    ("done", "task.assign"): "task_already_done",
    ("done", "task.submit"): "task_already_done",
    ("done", "task.done"): "task_already_done",
    ("done", "task.drop"): "task_already_done",
    ("done", "task.reopen"): "open",
    ("dropped", "task.claim"): "task_not_open",
    ("dropped", "task.assign"): "task_not_open",
    ("dropped", "task.submit"): "task_not_claimed",
    ("dropped", "task.done"): "task_not_in_review",
    ("dropped", "task.drop"): "task_already_dropped",
    ("dropped", "task.reopen"): "open",
}


def task_in(state: str) -> tuple[Log, str]:
    log = Log()
    task = log.add("task.create", A, {"title": "Fix the lathe", "labels": []})
    for type, author, extra in PATHS[state]:
        log.add(type, author, {"task": task, **extra})
    assert log.board().tasks[task].status == state
    return log, task


@pytest.mark.parametrize(("state", "action"), sorted(EXPECTED))
def test_every_transition_follows_the_graph(state: str, action: str) -> None:
    log, task = task_in(state)
    author, extra = ACTIONS[action]
    board = log.board()
    event = log.event(action, author, {"task": task, **extra})
    outcome = EXPECTED[(state, action)]
    if outcome in TASK_GRAPH:
        assert check(board, event) is None
        log.events.append(event)
        assert log.board().tasks[task].status == outcome
        assert outcome in TASK_GRAPH[state]
    else:
        assert check(board, event) == outcome


def test_who_may_move_a_task() -> None:
    log, task = task_in("claimed")
    board = log.board()
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("task.submit", C, {}, "not_an_assignee"),
        ("task.drop", C, {"reason": "x"}, "not_task_steward"),
        ("task.assign", C, {"assignees": [C]}, "not_task_steward"),
        ("task.assign", B, {"assignees": [OUTSIDER]}, "assignee_not_a_member"),
        ("task.claim", B, {}, "already_an_assignee"),
        ("task.claim", C, {"task": "nope"}, "unknown_task"),
    ]
    for type, author, extra, code in cases:
        assert check(board, log.event(type, author, {"task": task, **extra})) == code, code


def test_a_voided_event_changes_nothing_and_history_is_kept() -> None:
    log, task = task_in("done")
    late = log.add("task.drop", B, {"task": task, "reason": "too late"})
    board = log.board()
    assert board.void == {late: "task_already_done"}
    found = board.tasks[task]
    assert [(h.type, h.author, h.before, h.after) for h in found.history] == [
        ("task.claim", B, "open", "claimed"),
        ("task.submit", B, "claimed", "in_review"),
        ("task.done", A, "in_review", "done"),
    ]
    assert (found.status, found.assignees) == ("done", [B])


def test_projects_members_status_and_archived_tasks() -> None:
    log = Log()
    project = log.add("project.create", A, {"name": "Seeds", "members": [B]})
    stray = log.add("project.create", A, {"name": "Tools", "members": [OUTSIDER]})
    log.add("project.update", B, {"project": project, "status": "archived"})
    outsider = log.add("project.update", C, {"project": project, "status": "active"})
    late = log.add("task.create", A, {"project": project, "title": "Sort", "labels": []})
    board = log.board()
    assert (board.projects[project].status, board.projects[project].members) == (
        "archived", sorted([A, B])
    )  # fmt: skip
    assert board.void == {
        stray: "project_member_not_a_member",
        outsider: "not_a_project_member",
        late: "project_archived",
    }


def done_task(assignees: list[str], labels: tuple[str, ...] = (), **fields: Any) -> Task:
    task = Task("t1", A, None, "Guide", "", labels, None, fields.get("bounty"), T0)
    task.status, task.assignees = "done", list(assignees)
    return task


@given(st.integers(min_value=1, max_value=len(MEMBERS) + 40))
def test_draft_shares_sum_to_exactly_10000(count: int) -> None:
    assignees = [f"did:key:z6MkMember{i:03d}" for i in range(count)]
    draft = claim_draft(done_task(assignees), UNITS)
    assert draft is not None
    shares = [c["share"] for c in draft["contributors"]]
    assert sum(shares) == 10_000
    assert max(shares) - min(shares) <= 1


def test_draft_kind_quantity_and_evidence() -> None:
    three = claim_draft(done_task([C, A, B], ("urgent", "docs")), UNITS)
    assert three is not None
    assert [(c["member"], c["share"]) for c in three["contributors"]] == [
        (A, 3334), (B, 3333), (C, 3333)
    ]  # fmt: skip
    assert (three["kind"], three["unit"], three["quantity"]) == ("docs", "hours", None)
    assert (three["description"], three["evidence"]) == ("Guide", ["t1"])
    plain = claim_draft(done_task([A], ("money",)), UNITS)
    assert plain is not None and plain["kind"] == "time"  # money kinds are not drafted
    points = claim_draft(done_task([A], ("resource",), bounty={"points": 7}), UNITS)
    assert points is not None and (points["unit"], points["quantity"]) == ("units", 7)
    open_task = done_task([A])
    open_task.status = "in_review"
    assert claim_draft(open_task, UNITS) is None
