"""Projects and tasks, folded from a space's log.

`fold` is a pure function of the space's accepted project and task events in the space's
order. Whether an event may take effect (is the task open, is the author an assignee) is
judged by `check`: the node refuses such a local action outright (nothing stored), and an
event from elsewhere that breaks a rule is kept in the log with no effect (`Board.void`),
so every node derives the same board from the same events.

A task's lifecycle is a declared graph (`TASK_GRAPH`), as Takahe's stator declares its
states: an action moves a task to the state `TASK_ACTIONS` names, and only along an edge
of the graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from p2pvalue.accounting.money import largest_remainder
from p2pvalue.accounting.types import FULL_SHARE
from p2pvalue.events.authority import AuthorizedEvent as ValueEvent
from p2pvalue.wording import N_

PROJECT_TYPES = frozenset({"project.create", "project.update"})
TASK_TYPES = frozenset(
    {"task.create", "task.claim", "task.assign", "task.submit", "task.done", "task.drop",
     "task.reopen"}
)  # fmt: skip
BOARD_TYPES = PROJECT_TYPES | TASK_TYPES
TASK_STATES = ("open", "claimed", "in_review", "done", "dropped")
# Each state and the states a task may move to from it. Claimed → claimed is a change of
# hands: another member claims it too, or its assignees are replaced.
TASK_GRAPH: Mapping[str, frozenset[str]] = {
    "open": frozenset({"claimed", "dropped"}),
    "claimed": frozenset({"claimed", "in_review", "dropped"}),
    "in_review": frozenset({"done", "dropped"}),
    "done": frozenset({"open"}),
    "dropped": frozenset({"open"}),
}
# Where each action takes a task, and the refusal when the graph has no edge there.
TASK_ACTIONS: Mapping[str, tuple[str, str]] = {
    "task.claim": ("claimed", "task_not_open"),
    "task.assign": ("claimed", "task_not_open"),
    "task.submit": ("in_review", "task_not_claimed"),
    "task.done": ("done", "task_not_in_review"),
    "task.drop": ("dropped", "task_already_dropped"),
    "task.reopen": ("open", "task_not_closed"),
}
DEFAULT_KIND = "time"
BOARD_REFUSALS = {
    "unknown_project": N_("no such project in this space"),
    "unknown_task": N_("no such task in this space"),
    "project_archived": N_("the project is archived: unarchive it first"),
    "not_a_project_member": N_("only the project's members may change it"),
    "project_member_not_a_member": N_("every project member must be a member of the space"),
    "assignee_not_a_member": N_("every assignee must be a member of the space"),
    "task_not_open": N_("only an open (or already claimed) task can be claimed or assigned"),
    "task_not_claimed": N_("only a claimed task can be submitted for review"),
    "task_not_in_review": N_("only a task in review can be marked done"),
    "task_already_dropped": N_("the task was already dropped"),
    "task_not_closed": N_("only a done or dropped task can be reopened"),
    "task_already_done": N_("the task is done: reopen it first"),
    "already_an_assignee": N_("you already work on this task"),
    "not_an_assignee": N_("only the task's assignees may do this"),
    "not_task_steward": N_("only the task's creator or its assignees may do this"),
}


@dataclass(frozen=True)
class Transition:
    """One step of a task's history: who moved it, from which state to which, and when."""

    event: str
    type: str
    author: str
    ts: int
    before: str
    after: str


@dataclass
class Project:
    id: str
    author: str
    name: str
    description: str
    ts: int
    members: list[str]
    status: str = "active"
    updated: int = 0


@dataclass
class Task:
    id: str
    author: str
    project: str | None
    title: str
    description: str
    labels: tuple[str, ...]
    due: int | None
    bounty: Mapping[str, Any] | None
    ts: int
    status: str = "open"
    assignees: list[str] = field(default_factory=list)
    note: str = ""
    reason: str = ""
    history: list[Transition] = field(default_factory=list)

    def stewards(self) -> set[str]:
        return {self.author, *self.assignees}


@dataclass
class Board:
    projects: dict[str, Project] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    void: dict[str, str] = field(default_factory=dict)


def fold(events: Iterable[ValueEvent]) -> Board:
    """The projects and tasks of a space from its accepted board events, in order."""
    return folded(Board(), events)


def folded(board: Board, events: Iterable[ValueEvent]) -> Board:
    """`board` with the board events among `events` (which follow the ones it holds) folded
    on, as a new board if any: `board` and the projects and tasks in it stay as they are."""
    mine = [event for event in events if event.type in BOARD_TYPES]
    if not mine:
        return board
    board = Board(dict(board.projects), dict(board.tasks), dict(board.void))
    for event in mine:
        reason = check(board, event)
        if reason is None:
            _EFFECTS[event.type](board, event)
        else:
            board.void[event.id] = reason
    return board


def check(board: Board, event: ValueEvent) -> str | None:
    """None if `event` may take effect on `board`, else the reason it may not."""
    if event.type in TASK_ACTIONS:
        return _check_transition(board, event)
    return _CHECKS[event.type](board, event)


def _check_members(event: ValueEvent, listed: Iterable[str], code: str) -> str | None:
    return None if all(event.authority.is_member(m) for m in listed) else code


def _check_project_create(board: Board, event: ValueEvent) -> str | None:
    return _check_members(event, event.content.get("members", ()), "project_member_not_a_member")


def _check_project_update(board: Board, event: ValueEvent) -> str | None:
    project = board.projects.get(event.content["project"])
    if project is None:
        return "unknown_project"
    if event.author not in project.members:
        return "not_a_project_member"
    listed = event.content.get("members") or ()
    return _check_members(event, listed, "project_member_not_a_member")


def _check_task_create(board: Board, event: ValueEvent) -> str | None:
    name = event.content.get("project")
    if name is None:
        return None
    project = board.projects.get(name)
    if project is None:
        return "unknown_project"
    return "project_archived" if project.status == "archived" else None


def _check_transition(board: Board, event: ValueEvent) -> str | None:
    task = board.tasks.get(event.content["task"])
    if task is None:
        return "unknown_task"
    target, refusal = TASK_ACTIONS[event.type]
    if target not in TASK_GRAPH[task.status]:
        return "task_already_done" if task.status == "done" else refusal
    if event.type == "task.claim":
        return "already_an_assignee" if event.author in task.assignees else None
    if event.type == "task.submit":
        return None if event.author in task.assignees else "not_an_assignee"
    if event.author not in task.stewards():
        return "not_task_steward"
    if event.type == "task.assign":
        return _check_members(event, event.content["assignees"], "assignee_not_a_member")
    return None


def _apply_project_create(board: Board, event: ValueEvent) -> None:
    content = event.content
    members = sorted({event.author, *content.get("members", ())})
    board.projects[event.id] = Project(
        event.id, event.author, content["name"], content.get("description", ""), event.ts,
        members, updated=event.ts,
    )  # fmt: skip


def _apply_project_update(board: Board, event: ValueEvent) -> None:
    project = board.projects[event.content["project"]] = replace(
        board.projects[event.content["project"]]
    )  # changed as a copy: the board before holds the project as it was
    content = event.content
    if content.get("description") is not None:
        project.description = content["description"]
    if content.get("status") is not None:
        project.status = content["status"]
    if content.get("members") is not None:
        project.members = sorted(set(content["members"]))
    project.updated = event.ts


def _apply_task_create(board: Board, event: ValueEvent) -> None:
    content = event.content
    board.tasks[event.id] = Task(
        event.id, event.author, content.get("project"), content["title"],
        content.get("description", ""), tuple(content.get("labels", ())), content.get("due"),
        content.get("bounty"), event.ts,
    )  # fmt: skip


def _apply_transition(board: Board, event: ValueEvent) -> None:
    before = board.tasks[event.content["task"]]
    # Changed as a copy: the board before holds the task as it was.
    task = board.tasks[before.id] = replace(
        before, assignees=list(before.assignees), history=list(before.history)
    )
    target = TASK_ACTIONS[event.type][0]
    task.history.append(Transition(event.id, event.type, event.author, event.ts, task.status,
                                   target))  # fmt: skip
    task.status = target
    if event.type == "task.claim":
        task.assignees.append(event.author)
    elif event.type == "task.assign":
        task.assignees = list(event.content["assignees"])
    elif event.type == "task.submit":
        task.note = event.content.get("note", "")
    elif event.type == "task.drop":
        task.reason = event.content["reason"]
    elif event.type == "task.reopen":
        task.reason = ""


_CHECKS: dict[str, Callable[[Board, ValueEvent], str | None]] = {
    "project.create": _check_project_create,
    "project.update": _check_project_update,
    "task.create": _check_task_create,
}
_EFFECTS: dict[str, Callable[[Board, ValueEvent], None]] = {
    "project.create": _apply_project_create,
    "project.update": _apply_project_update,
    "task.create": _apply_task_create,
    **dict.fromkeys(TASK_ACTIONS, _apply_transition),
}


def claim_draft(task: Task, units: Mapping[str, str]) -> dict[str, Any] | None:
    """The contribution claim a done task drafts for its assignees, or None if it drafts
    none: its kind is the first label that names a kind the space values (`units` maps each
    such kind to its unit; money kinds are left out), else `time`; the assignees share it
    equally, in basis points summing to exactly 10,000. The quantity is the bounty's points
    when the kind counts units, else None: the assignee who confirms gives it. A money
    bounty goes with the claim, to be paid once it is accepted (`bounty.pay`)."""
    if task.status != "done" or not task.assignees:
        return None
    kind = next((label for label in task.labels if units.get(label, "money") != "money"),
                DEFAULT_KIND)  # fmt: skip
    shares = largest_remainder(FULL_SHARE, dict.fromkeys(task.assignees, 1))
    unit = units.get(kind, "hours")
    points = (task.bounty or {}).get("points")
    return {
        "kind": kind,
        "description": task.title,
        "quantity": points if unit == "units" else None,
        "unit": unit,
        "evidence": [task.id],
        **({"project": task.project} if task.project else {}),
        "contributors": [{"member": m, "share": s} for m, s in sorted(shares.items())],
        **({"bounty": dict(task.bounty)} if task.bounty and "amount" in task.bounty else {}),
    }
