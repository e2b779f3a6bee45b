"""The task board as a page: each column's first tasks with a link to the rest, or one
column a page at a time, filtered by label and by an assignee named by username; and what
every collaboration page shows (`collab_context`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from p2pvalue.accounts import Account
from p2pvalue.collab.board import TASK_STATES, Task
from p2pvalue.collab.service import Collab
from p2pvalue.events.authority import Authority
from p2pvalue.node import Node
from p2pvalue.web import paging
from p2pvalue.web.collab.forms import MoveForm, ProjectForm
from p2pvalue.web.i18n import gettext
from p2pvalue.web.layout import FieldProblem, render
from p2pvalue.web.naming import names_of
from p2pvalue.web.paging import NoPage, Paged, page_of


def collab_context(
    node: Node, authority: Authority, account: Account | None, named: Iterable[str] | None = None
) -> dict[str, Any]:
    """What every collaboration page shows: the space, its state, members and their names
    (only of `named`, when a page says whom it names)."""
    state = node.service(Collab).state(authority.space)
    members = sorted(did for did in authority.members if authority.is_member(did))
    people = set(named or ())
    if named is None:
        people = {*members, *(p.author for p in state.threads.posts.values())}
        people |= {did for task in state.board.tasks.values() for did in task.stewards()}
    return {
        "space": node.space(authority.space), "state": state, "board": state.board,
        "members": members, "names": names_of(node, people, account.did if account else None),
        "is_member": account is not None and authority.is_member(account.did),
    }  # fmt: skip


def board_view(
    request: Request, node: Node, account: Account | None, authority: Authority,
    label: str = "", assignee: str = "", status: str = "", code: int = 200, **shown: Any,
) -> HTMLResponse:  # fmt: skip
    """The board page; an assignee no account here is called is said next to the field,
    as typed, and the board shown unfiltered by it (422)."""
    path = f"/spaces/{authority.space}/tasks"
    if status and status not in TASK_STATES:
        raise NoPage(404, status, path)
    errors: dict[str, str] = dict(shown.pop("errors", None) or {})
    did = assignee_of(node, assignee.strip())
    if assignee.strip() and did is None:
        errors["filter-assignee"] = no_such_username(assignee.strip())
        code = 422
    state_tasks = list(node.service(Collab).state(authority.space).board.tasks.values())
    labels = sorted({tag for task in state_tasks for tag in task.labels})
    chosen = [t for t in state_tasks if (not label or label in t.labels)
              and (did is None or did in t.assignees)]  # fmt: skip
    columns = [(state, [t for t in chosen if t.status == state]) for state in TASK_STATES]
    if status:
        pages = {status: page_of(request, dict(columns)[status], path=path)}
    else:
        pages = {state: _first(request, path, state, tasks) for state, tasks in columns}
    shown_tasks = [task for paged in pages.values() for task in paged.items]
    named = {person for task in shown_tasks for person in task.assignees}
    common = collab_context(node, authority, account, named | ({did} if did else set()))
    return render(
        request, "collab_board.html", account, code, columns=list(pages.items()),
        labels=labels, label=label, assignee=assignee, column=status, errors=errors,
        **common, **shown,
    )  # fmt: skip


def assignee_of(node: Node, typed: str) -> str | None:
    """The did the assignee filter names: a username (with or without '@'), or a did."""
    if not typed:
        return None
    if typed.startswith("did:"):
        return typed
    found = node.accounts.by_username(typed.removeprefix("@"))
    return found.did if found is not None else None


def with_named(node: Node, form: MoveForm) -> MoveForm:
    """The assign form with the member it names by username among its assignees."""
    did = named(node, form.name) if form.action == "assign" else None
    return form.model_copy(update={"assignee": [*form.assignee, did]}) if did else form


def with_member_named(node: Node, form: ProjectForm) -> ProjectForm:
    """The project form with the member it names by username among its members."""
    did = named(node, form.member_name, "member_name")
    return form.model_copy(update={"member": [*form.member, did]}) if did else form


def named(node: Node, typed: str, field: str = "name") -> str | None:
    """The did of the member a form names by username (None for no name); a name no one
    here has is said next to the field."""
    if not typed.strip():
        return None
    did = assignee_of(node, typed.strip())
    if did is None:
        raise FieldProblem("unknown_member", field, no_such_username(typed.strip()))
    return did


def no_such_username(typed: str) -> str:
    return gettext(
        "No one here has the username “%(name)s”: check how it is spelled.", name=typed[:80]
    )


def _first(request: Request, path: str, state: str, tasks: list[Task]) -> Paged[Task]:
    """A column's first tasks, its `next` link leading to the column's second page."""
    kept = tuple(
        (k, v) for k, v in request.query_params.multi_items() if k not in ("page", "status")
    )
    kept = (*kept, ("status", state))
    size = paging.PAGE_SIZE  # a column on the whole board shows as many as a page of it
    pages = max(1, -(-len(tasks) // size))
    return Paged(tasks[:size], 1, pages, len(tasks), 0, path, kept)
