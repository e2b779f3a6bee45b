"""The collaboration part of the API: projects, tasks and their lifecycle, the claim a done
task drafts, and discussion threads rendered as safe HTML with mentions and reactions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.collab.board import Project, Task
from p2pvalue.collab.markdown import render
from p2pvalue.collab.service import Collab, refusal
from p2pvalue.collab.threads import Post, Thread
from p2pvalue.collab.types import (
    EMOJI_PATTERN,
    MAX_TEXT,
    ProjectCreate,
    TaskCreate,
    ThreadCreate,
)
from p2pvalue.fediverse import Fediverse
from p2pvalue.node import Node
from p2pvalue.web.auth import AccountDep, NodeDep
from p2pvalue.web.contract import A_DID
from p2pvalue.web.fediverse.api import reply_json
from p2pvalue.web.spaces.api import outcome_response

router = APIRouter(prefix="/api/v1/spaces/{space_id}", tags=["collab"])
TaskStatus = Literal["open", "claimed", "in_review", "done", "dropped"]
TargetKind = Literal["space", "project", "task", "proposal", "contribution"]


class ProjectChange(BaseModel):
    description: str | None = Field(None, max_length=4000)
    status: Literal["active", "paused", "archived"] | None = None
    members: list[Annotated[str, Field(json_schema_extra=A_DID)]] | None = Field(
        None, max_length=200
    )


class TaskMove(BaseModel):
    """A step of the task's lifecycle: `assignees` for assign, `note` for submit (optional),
    `reason` for drop."""

    action: Literal["claim", "assign", "submit", "done", "drop", "reopen"]
    assignees: list[Annotated[str, Field(json_schema_extra=A_DID)]] | None = Field(
        None, max_length=20
    )
    note: str | None = Field(None, max_length=4000)
    reason: str | None = Field(None, max_length=2000)


class Confirmation(BaseModel):
    quantity: int | None = Field(None, gt=0, le=2**53 - 1)


class Text(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class Reaction(BaseModel):
    emoji: str = Field(pattern=EMOJI_PATTERN)
    on: bool = True


def project_json(project: Project) -> dict[str, Any]:
    return asdict(project)


def task_json(task: Task) -> dict[str, Any]:
    found = asdict(task)
    found["labels"] = list(task.labels)
    return found


def post_json(node: Node, space: str, post: Post) -> dict[str, Any]:
    """A post as members see it: sanitised HTML, its Markdown source, every version with
    its event and time, the members it mentions, and reactions counted per emoji."""
    return {
        "id": post.id, "thread": post.thread, "author": post.author, "ts": post.ts,
        "html": render(post.text), "source": post.text, "edited": len(post.versions) > 1,
        "history": [asdict(version) for version in post.versions],
        "mentions": node.service(Collab).mentions(space, post.text),
        "reactions": {emoji: {"count": len(who), "members": sorted(who)}
                      for emoji, who in sorted(post.reactions.items())},
    }  # fmt: skip


def remote_replies(node: Node, space: str, thread: str) -> list[dict[str, Any]]:
    """The replies fediverse accounts sent to the thread, in the order they arrived (see
    `reply_json`)."""
    return [reply_json(r) for r in node.service(Fediverse).replies.in_thread(space, thread)]


def thread_json(thread: Thread) -> dict[str, Any]:
    return {
        "id": thread.id, "author": thread.author, "title": thread.title, "ts": thread.ts,
        "on": {"kind": thread.kind, "id": thread.target}, "posts": len(thread.posts),
    }  # fmt: skip


def _act(
    node: Node, account: Account, space: str, type: str, content: dict[str, Any]
) -> JSONResponse:
    return outcome_response(node.act(account, space, type, content))


@router.get("/projects")
def list_projects(space_id: str, node: NodeDep) -> dict[str, Any]:
    """Projects in the order they were created."""
    projects = node.service(Collab).state(space_id).board.projects.values()
    return {"projects": [project_json(project) for project in projects]}


@router.post("/projects", status_code=201)
def create_project(
    space_id: str, body: ProjectCreate, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Start a project; its creator is one of its members."""
    return _act(node, account, space_id, "project.create", body.model_dump())


@router.get("/projects/{project_id}")
def get_project(space_id: str, project_id: str, node: NodeDep) -> dict[str, Any]:
    """A project and its tasks."""
    board = node.service(Collab).state(space_id).board
    project = board.projects.get(project_id)
    if project is None:
        raise refusal("unknown_project")
    tasks = [task_json(task) for task in board.tasks.values() if task.project == project_id]
    return {**project_json(project), "tasks": tasks}


@router.patch("/projects/{project_id}", status_code=201)
def update_project(
    space_id: str, project_id: str, body: ProjectChange, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Change a project's description, status or members (its members only)."""
    content = {"project": project_id, **body.model_dump(exclude_none=True)}
    return _act(node, account, space_id, "project.update", content)


@router.get("/tasks")
def list_tasks(
    space_id: str,
    node: NodeDep,
    status: TaskStatus | None = Query(None, description="only tasks in this state"),
    label: str | None = Query(None, max_length=40, description="only tasks with this label"),
    assignee: str | None = Query(None, max_length=80, description="only tasks this member has"),
    project: str | None = Query(None, max_length=43, description="only this project's tasks"),
) -> dict[str, Any]:
    """Tasks in the order they were created, filtered by state, label, assignee, project."""
    tasks = node.service(Collab).state(space_id).board.tasks.values()
    chosen = [
        task_json(task) for task in tasks
        if (status is None or task.status == status) and (label is None or label in task.labels)
        and (assignee is None or assignee in task.assignees)
        and (project is None or task.project == project)
    ]  # fmt: skip
    return {"tasks": chosen}


@router.post("/tasks", status_code=201)
def create_task(
    space_id: str, body: TaskCreate, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Open a task, in a project or in the space at large."""
    return _act(node, account, space_id, "task.create", body.model_dump(exclude_none=True))


@router.get("/tasks/{task_id}")
def get_task(space_id: str, task_id: str, node: NodeDep) -> dict[str, Any]:
    """A task with its history of transitions, and the claim it drafts once done."""
    task = node.service(Collab).task(space_id, task_id)
    return {**task_json(task), "draft": node.service(Collab).draft(space_id, task_id)}


@router.post("/tasks/{task_id}/transitions", status_code=201)
def move_task(
    space_id: str, task_id: str, body: TaskMove, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Move a task along its lifecycle; a move the graph does not allow is refused."""
    extra = body.model_dump(exclude_none=True, exclude={"action"})
    return _act(node, account, space_id, f"task.{body.action}", {"task": task_id, **extra})


@router.get("/tasks/{task_id}/claim")
def claim_draft(space_id: str, task_id: str, node: NodeDep) -> dict[str, Any]:
    """The contribution claim a done task drafts for its assignees, and the claim filed
    from it, if one was."""
    draft = node.service(Collab).draft(space_id, task_id)
    if draft is None:
        raise refusal("no_draft")
    filed = node.service(Value).ledger(space_id).evidence.get(task_id)
    return {"draft": draft, "claim": filed}


@router.post("/tasks/{task_id}/claim", status_code=201)
def confirm_claim(
    space_id: str, task_id: str, body: Confirmation, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """File the drafted claim as the calling assignee: a `contribution.claim` crediting
    every assignee; `quantity` when the draft has none (hours worked, say)."""
    return outcome_response(node.service(Collab).confirm(account, space_id, task_id, body.quantity))


@router.get("/threads")
def list_threads(
    space_id: str,
    node: NodeDep,
    kind: TargetKind | None = Query(None, description="only threads on this kind of thing"),
    target: str | None = Query(None, max_length=43, description="only threads on this id"),
) -> dict[str, Any]:
    """Threads in the order they were started, by what they are on."""
    threads = node.service(Collab).state(space_id).threads.on(kind, target)
    return {"threads": [thread_json(thread) for thread in threads]}


@router.post("/threads", status_code=201)
def create_thread(
    space_id: str, body: ThreadCreate, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Start a thread on the space, a project, a task, a proposal or a claim."""
    return _act(node, account, space_id, "thread.create", body.model_dump(exclude_none=True))


@router.get("/threads/{thread_id}")
def get_thread(space_id: str, thread_id: str, node: NodeDep) -> dict[str, Any]:
    """A thread and its posts, each rendered, with its source, history, mentions, reactions;
    and `remote_replies`, the replies from fediverse accounts this node keeps for it."""
    threads = node.service(Collab).state(space_id).threads
    thread = threads.threads.get(thread_id)
    if thread is None:
        raise refusal("unknown_thread")
    posts = [post_json(node, space_id, threads.posts[post]) for post in thread.posts]
    remote = remote_replies(node, space_id, thread_id)
    return {**thread_json(thread), "posts": posts, "remote_replies": remote}


@router.post("/threads/{thread_id}/replies", status_code=201)
def reply(
    space_id: str, thread_id: str, body: Text, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Reply to a thread."""
    return _act(node, account, space_id, "thread.reply", {"thread": thread_id, "text": body.text})


@router.post("/posts/{post_id}/edits", status_code=201)
def edit(
    space_id: str, post_id: str, body: Text, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Edit one's own post; every earlier version stays in its history."""
    return _act(node, account, space_id, "thread.edit", {"post": post_id, "text": body.text})


@router.post("/posts/{post_id}/reactions", status_code=201)
def react(
    space_id: str, post_id: str, body: Reaction, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Add (`on`: true) or take back (`on`: false) a reaction to a post."""
    content = {"post": post_id, "emoji": body.emoji, "on": body.on}
    return _act(node, account, space_id, "thread.react", content)
