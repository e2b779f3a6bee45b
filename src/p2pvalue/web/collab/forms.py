"""The collaboration forms, read into event content, and what a page shows of the board.

Pure functions: they shape what was typed (labels split, a date as milliseconds, an amount
in minor units) and refuse with a `P2PError` what cannot be shaped; whether the board
allows the result is the node's to judge. `moves` asks the board's own rule (`check`)
which transitions a member may take now, so a page offers exactly those.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from pydantic import BaseModel, Field

from p2pvalue.accounting.money import parse_amount
from p2pvalue.collab import board as boards
from p2pvalue.collab.board import Board, Task
from p2pvalue.collab.markdown import MENTION, clean
from p2pvalue.collab.types import MAX_TEXT
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority
from p2pvalue.events.authority import AuthorizedEvent as ValueEvent
from p2pvalue.web.i18n import gettext
from p2pvalue.web.layout import FieldProblem

# The transitions a task page offers, in the order its buttons appear.
MOVES = ("claim", "submit", "done", "drop", "reopen", "assign")
REACTIONS = ("👍", "🎉", "❤️", "👀")
# A tag of nh3's output: its attribute values are always double-quoted.
_TAG = re.compile(r'(<(?:[^>"]|"[^"]*")*>)')
_SKIPPED = {"a", "code", "pre"}
# How much of a text field a form reads: past its limit, but bounded.
BOUND = 4 * MAX_TEXT


class ProjectForm(BaseModel):
    """The fields of the new-project and project-update forms (a text over its limit is
    read, up to a bound, so that the form can say so next to the field)."""

    name: str = Field(default="", max_length=BOUND)
    description: str = Field(default="", max_length=BOUND)
    status: str = Field(default="", max_length=20)
    member: list[str] = Field(default_factory=list, max_length=200)
    member_name: str = Field(default="", max_length=80)  # one more member, by username


class TaskForm(BaseModel):
    """The fields of the new-task form."""

    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=20_000)
    project: str = Field(default="", max_length=60)
    labels: str = Field(default="", max_length=1000)
    due: str = Field(default="", max_length=20)
    points: str = Field(default="", max_length=20)
    amount: str = Field(default="", max_length=40)
    currency: str = Field(default="", max_length=8)


class ThreadForm(BaseModel):
    """The fields of the new-thread form: what it is on (`kind`, `target`), its first post."""

    kind: str = Field(default="space", max_length=20)
    target: str = Field(default="", max_length=60)
    title: str = Field(default="", max_length=BOUND)
    text: str = Field(default="", max_length=BOUND)


class MoveForm(BaseModel):
    """A task transition: `reason` to drop, `note` to submit, `assignee` to assign (and in
    a large space, `name`: one more assignee by username)."""

    action: str = Field(max_length=20)
    reason: str = Field(default="", max_length=BOUND)
    note: str = Field(default="", max_length=BOUND)
    assignee: list[str] = Field(default_factory=list, max_length=20)
    name: str = Field(default="", max_length=80)


def project_content(form: ProjectForm) -> dict[str, Any]:
    """The `project.create` content the form describes."""
    if not form.name.strip():
        raise FieldProblem("invalid_content", "name", gettext("Give the project a name."))
    within(form.name.strip(), 200, "name")
    within(form.description.strip(), 4000, "description")
    return {"name": form.name.strip(), "description": form.description.strip(),
            "members": list(dict.fromkeys(form.member))}  # fmt: skip


def project_change(project: str, form: ProjectForm) -> dict[str, Any]:
    """The `project.update` content: the description, status and member list as submitted."""
    content: dict[str, Any] = {"project": project, "description": form.description.strip(),
                               "members": list(dict.fromkeys(form.member))}  # fmt: skip
    if form.status:
        content["status"] = form.status
    return content


def task_content(form: TaskForm, zone: tzinfo = UTC) -> dict[str, Any]:
    """The `task.create` content the form describes; a due date is a day in `zone`, the
    viewer's time zone."""
    if not form.title.strip():
        raise FieldProblem("invalid_content", "title", gettext("Give the task a title."))
    content: dict[str, Any] = {"title": form.title.strip(), "labels": labels_of(form.labels)}
    if form.description.strip():
        content["description"] = form.description.strip()
    if form.project:
        content["project"] = form.project
    if form.due.strip():
        content["due"] = due_of(form.due.strip(), zone)
    bounty = bounty_of(form)
    if bounty is not None:
        content["bounty"] = bounty
    return content


def thread_content(form: ThreadForm) -> dict[str, Any]:
    """The `thread.create` content the form describes."""
    if not form.title.strip():
        raise FieldProblem("invalid_content", "title", gettext("Give the thread a title."))
    within(form.title.strip(), 200, "title")
    if not form.text.strip():
        raise FieldProblem("invalid_content", "text", gettext("Write the first post."))
    within(form.text, MAX_TEXT, "text")
    on = {"kind": form.kind, **({"id": form.target} if form.target else {})}
    return {"on": on, "title": form.title.strip(), "text": form.text}


def reply_content(thread: str, text: str) -> dict[str, Any]:
    """The `thread.reply` content of a reply typed as `text`."""
    if not text.strip():
        raise FieldProblem("invalid_content", "text", gettext("Write something to reply."))
    within(text, MAX_TEXT, "text")
    return {"thread": thread, "text": text}


def within(text: str, most: int, field: str) -> None:
    """Refuse, next to `field`, a text longer than `most` characters."""
    if len(text) > most:
        raise FieldProblem("invalid_content", field, gettext(
            "Keep it under %(most)s characters (this is %(count)s).", most=most,
            count=len(text)))  # fmt: skip


def labels_of(text: str) -> list[str]:
    """Labels typed separated by commas or spaces, each once, in the order typed."""
    return list(dict.fromkeys(filter(None, re.split(r"[\s,]+", text.strip()))))


def due_of(text: str, zone: tzinfo = UTC) -> int:
    """A date typed as YYYY-MM-DD, as milliseconds at its start in `zone`."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise FieldProblem("invalid_content", "due", gettext("Write the due date as a date, "
                           "such as 2026-03-31.")) from None  # fmt: skip
    return int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp() * 1000)


def bounty_of(form: TaskForm) -> dict[str, Any] | None:
    """Points, or an amount in a currency (kept in minor units), or None for no bounty."""
    if form.points.strip() and form.amount.strip():
        raise FieldProblem("invalid_content", "points", gettext("A bounty is points or an "
                           "amount, not both: leave one empty."))  # fmt: skip
    if form.points.strip():
        if not form.points.strip().isdigit():
            raise FieldProblem("invalid_content", "points", gettext("Points are a whole "
                               "number, such as 5."))  # fmt: skip
        return {"points": int(form.points.strip())}
    if form.amount.strip():
        currency = form.currency.strip().upper()
        if not re.fullmatch("[A-Z]{3}", currency):
            raise FieldProblem("invalid_content", "currency", gettext("Write the currency as "
                               "its three letters, such as EUR."))  # fmt: skip
        try:
            amount = parse_amount(form.amount.strip(), currency)
        except P2PError:
            said = gettext(
                "Write the amount in %(currency)s as a number, such as 50.00.", currency=currency
            )
            raise FieldProblem("invalid_amount", "amount", said) from None
        return {"amount": amount, "currency": currency}
    return None


def move_content(task: str, form: MoveForm) -> tuple[str, dict[str, Any]]:
    """The event type and content of the transition the form asks for."""
    if form.action not in MOVES:
        raise P2PError("invalid_content", "That is not something a task can do.", 422)
    content: dict[str, Any] = {"task": task}
    if form.action == "drop":
        if not form.reason.strip():
            raise FieldProblem("invalid_content", "reason", gettext("Say why the task is dropped."))
        within(form.reason.strip(), 2000, "reason")
        content["reason"] = form.reason.strip()
    elif form.action == "submit" and form.note.strip():
        within(form.note.strip(), 4000, "note")
        content["note"] = form.note.strip()
    elif form.action == "assign":
        content["assignees"] = list(dict.fromkeys(form.assignee))
    return f"task.{form.action}", content


def moves(board: Board, task: Task, did: str, authority: Authority, ts: int) -> list[str]:
    """The transitions `did` may take on `task` now, by the board's own rule."""
    if not authority.is_member(did):
        return []
    found = []
    for action in MOVES:
        content: dict[str, Any] = {"task": task.id, "reason": "-", "assignees": [did]}
        proposed = ValueEvent("-", f"task.{action}", did, ts, content, authority)
        if boards.check(board, proposed) is None:
            found.append(action)
    return found


def with_mentions(html: str, links: dict[str, str]) -> str:
    """Sanitised post HTML with each resolved `@username` (a key of `links`) made a link to
    the member's page; the result is sanitised again, so nothing but allowed links is added."""
    parts, depth = [], 0
    for part in _TAG.split(html):
        if _TAG.fullmatch(part):
            depth += _depth_change(part)
        elif depth == 0:
            part = MENTION.sub(lambda m: _mention(m, links), part)
        parts.append(part)
    return clean("".join(parts))


def _depth_change(tag: str) -> int:
    name = tag.strip("</>").split()[0].lower() if tag.strip("</>") else ""
    if name not in _SKIPPED:
        return 0
    return -1 if tag.startswith("</") else 1


def _mention(match: re.Match[str], links: dict[str, str]) -> str:
    href = links.get(match.group(1).rstrip("."))
    if href is None:
        return match.group(0)
    name = match.group(1).rstrip(".")
    tail = match.group(1)[len(name) :]
    return f'<a href="{href}" title="mention">@{name}</a>{tail}'


def columns(tasks: list[Task]) -> Iterator[tuple[str, list[Task]]]:
    """The tasks of each state, in the order of the board's states."""
    for state in boards.TASK_STATES:
        yield state, [task for task in tasks if task.status == state]
