"""The shapes of the collaboration events: projects, tasks and discussion threads.

Checks that need nothing but the event itself live here; what depends on the space's state
(is the task open, is this the post's author) is judged by `collab.board` and
`collab.threads`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from p2pvalue.accounting.types import (
    DID_PATTERN,
    EVENT_ID_PATTERN,
    KIND_PATTERN,
    MoneyBounty,
)
from p2pvalue.errors import EventError

LABEL_PATTERN = KIND_PATTERN  # a label naming a value kind drafts a claim of that kind
EMOJI_PATTERN = r"^[^\s<>&\"'`]{1,8}$"
PROJECT_STATUSES = ("active", "paused", "archived")
TARGET_KINDS = ("space", "project", "task", "proposal", "contribution")
# What members of a space may do together, in the default charter and the templates.
COLLABORATING = (
    "project.create", "project.update", "task.create", "task.claim", "task.assign",
    "task.submit", "task.done", "task.drop", "task.reopen", "thread.create", "thread.reply",
    "thread.edit", "thread.react", "doc.create", "doc.write", "doc.snapshot",
)  # fmt: skip
# Permissions a charter may grant that are not event types: `doc.write` lets its holders edit
# live documents (other members only read them).
DOC_WRITE = "doc.write"
PERMISSIONS = frozenset({DOC_WRITE})
STATE_HASH_PATTERN = r"^[0-9a-f]{64}$"
MAX_DOC_AUTHORS = 1000
MAX_TEXT = 20_000
DID = re.compile(DID_PATTERN)
LABEL = re.compile(LABEL_PATTERN)


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ProjectCreate(_Content):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    members: list[str] = Field(default_factory=list, max_length=200)


class ProjectUpdate(_Content):
    project: str = Field(pattern=EVENT_ID_PATTERN)
    description: str | None = Field(default=None, max_length=4000)
    status: Literal["active", "paused", "archived"] | None = None
    members: list[str] | None = Field(default=None, max_length=200)


class PointsBounty(_Content):
    points: int = Field(ge=1, le=10**12)


class TaskCreate(_Content):
    project: str | None = Field(default=None, pattern=EVENT_ID_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=MAX_TEXT)
    labels: list[str] = Field(default_factory=list, max_length=20)
    due: int | None = Field(default=None, ge=0)
    bounty: PointsBounty | MoneyBounty | None = None


class TaskRef(_Content):
    task: str = Field(pattern=EVENT_ID_PATTERN)


class TaskAssign(_Content):
    task: str = Field(pattern=EVENT_ID_PATTERN)
    assignees: list[str] = Field(min_length=1, max_length=20)


class TaskSubmit(_Content):
    task: str = Field(pattern=EVENT_ID_PATTERN)
    note: str = Field(default="", max_length=4000)


class TaskDrop(_Content):
    task: str = Field(pattern=EVENT_ID_PATTERN)
    reason: str = Field(min_length=1, max_length=2000)


class ThreadTarget(_Content):
    kind: Literal["space", "project", "task", "proposal", "contribution"]
    id: str | None = Field(default=None, pattern=EVENT_ID_PATTERN)


class ThreadCreate(_Content):
    on: ThreadTarget
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class ThreadReply(_Content):
    thread: str = Field(pattern=EVENT_ID_PATTERN)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class ThreadEdit(_Content):
    post: str = Field(pattern=EVENT_ID_PATTERN)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class ThreadReact(_Content):
    post: str = Field(pattern=EVENT_ID_PATTERN)
    emoji: str = Field(pattern=EMOJI_PATTERN)
    on: bool


class DocCreate(_Content):
    title: str = Field(min_length=1, max_length=200)
    project: str | None = Field(default=None, pattern=EVENT_ID_PATTERN)


class DocSnapshot(_Content):
    """A document's state as its node saw it: the hash of its state (state vector and delete
    set), its size, and how many units of its live content each author wrote."""

    doc: str = Field(pattern=EVENT_ID_PATTERN)
    state: str = Field(pattern=STATE_HASH_PATTERN)
    bytes: int = Field(ge=0, le=2**53 - 1)
    units: int = Field(ge=0, le=2**53 - 1)
    authors: dict[str, int] = Field(max_length=MAX_DOC_AUTHORS)
    unattributed: int = Field(default=0, ge=0, le=2**53 - 1)


def _check_dids(dids: list[str], what: str) -> None:
    if not all(DID.match(did) and len(did) <= 80 for did in dids):
        raise EventError("invalid_content", f"{what}: every entry is a did:key")
    if len(set(dids)) != len(dids):
        raise EventError("invalid_content", f"{what}: a member is listed twice")


def check_project_create(project: ProjectCreate) -> None:
    _check_dids(project.members, "members")


def check_project_update(update: ProjectUpdate) -> None:
    """Refuse an update that changes nothing or lists a member twice."""
    if update.description is None and update.status is None and update.members is None:
        raise EventError("nothing_to_update", "give a description, a status or members")
    _check_dids(update.members or [], "members")


def check_task_create(task: TaskCreate) -> None:
    """Refuse malformed or repeated labels."""
    if not all(LABEL.match(label) and len(label) <= 40 for label in task.labels):
        raise EventError("invalid_content", "labels are [a-z][a-z0-9_]* names of 40 or fewer")
    if len(set(task.labels)) != len(task.labels):
        raise EventError("invalid_content", "labels: a label is listed twice")


def check_task_assign(assign: TaskAssign) -> None:
    _check_dids(assign.assignees, "assignees")


def check_thread_create(thread: ThreadCreate) -> None:
    """A thread on the space names no id; a thread on anything else names what it is on."""
    if (thread.on.kind == "space") != (thread.on.id is None):
        raise EventError("invalid_target", "on.id names the project, task, proposal or claim")


def check_doc_snapshot(snapshot: DocSnapshot) -> None:
    """Authors are members' dids with positive shares that, with the unattributed rest, add
    up to the document's live units."""
    _check_dids(list(snapshot.authors), "authors")
    if any(units <= 0 for units in snapshot.authors.values()):
        raise EventError("invalid_content", "authors: each share is a positive count of units")
    if sum(snapshot.authors.values()) + snapshot.unattributed != snapshot.units:
        raise EventError("invalid_content", "authors and unattributed add up to units")
