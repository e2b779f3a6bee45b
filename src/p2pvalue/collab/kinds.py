"""Collaboration's event types and the rights it adds to a charter's roles."""

from __future__ import annotations

from p2pvalue.collab.types import (
    PERMISSIONS,
    DocCreate,
    DocSnapshot,
    ProjectCreate,
    ProjectUpdate,
    TaskAssign,
    TaskCreate,
    TaskDrop,
    TaskRef,
    TaskSubmit,
    ThreadCreate,
    ThreadEdit,
    ThreadReact,
    ThreadReply,
    check_doc_snapshot,
    check_project_create,
    check_project_update,
    check_task_assign,
    check_task_create,
    check_thread_create,
)
from p2pvalue.events.types import RANK_ORDINARY, EventType

TYPES = (
    EventType("project.create", RANK_ORDINARY, ProjectCreate, check_project_create),
    EventType("project.update", RANK_ORDINARY, ProjectUpdate, check_project_update),
    EventType("task.create", RANK_ORDINARY, TaskCreate, check_task_create),
    EventType("task.claim", RANK_ORDINARY, TaskRef),
    EventType("task.assign", RANK_ORDINARY, TaskAssign, check_task_assign),
    EventType("task.submit", RANK_ORDINARY, TaskSubmit),
    EventType("task.done", RANK_ORDINARY, TaskRef),
    EventType("task.drop", RANK_ORDINARY, TaskDrop),
    EventType("task.reopen", RANK_ORDINARY, TaskRef),
    # Discussion is personal text: its author may have it erased.
    EventType("thread.create", RANK_ORDINARY, ThreadCreate, check_thread_create, erasable=True),
    EventType("thread.reply", RANK_ORDINARY, ThreadReply, erasable=True),
    EventType("thread.edit", RANK_ORDINARY, ThreadEdit, erasable=True),
    EventType("thread.react", RANK_ORDINARY, ThreadReact, erasable=True),
    EventType("doc.create", RANK_ORDINARY, DocCreate),
    EventType("doc.snapshot", RANK_ORDINARY, DocSnapshot, check_doc_snapshot),
)
RIGHTS = PERMISSIONS
