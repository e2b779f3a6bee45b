"""Pages for working together in a space: projects, the task board and a task's lifecycle
with the claim a done task drafts, and discussion threads with replies, edits and reactions.

Routes parse the forms and take the action through the node; what is allowed is the board's
and threads' to judge, and a refusal comes back as a flash with its code, nothing stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.collab.board import Task
from p2pvalue.collab.markdown import render as markdown
from p2pvalue.collab.service import COLLAB_REFUSALS, Collab, CollabState
from p2pvalue.collab.threads import Post, Thread
from p2pvalue.errors import P2PError
from p2pvalue.events.event import now_ms
from p2pvalue.ingest import Outcome
from p2pvalue.node import Node
from p2pvalue.rates import RateLimited
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.collab.api import remote_replies
from p2pvalue.web.collab.board_view import (
    board_view,
    collab_context,
    with_member_named,
    with_named,
)
from p2pvalue.web.collab.forms import (
    BOUND,
    MOVES,
    REACTIONS,
    MoveForm,
    ProjectForm,
    TaskForm,
    ThreadForm,
    move_content,
    moves,
    project_change,
    project_content,
    reply_content,
    task_content,
    thread_content,
    with_mentions,
)
from p2pvalue.web.layout import (
    FieldProblem,
    acted,
    flash_of,
    missing,
    problem_of,
    render,
    space_authority,
)
from p2pvalue.web.zones import zone_of

router = APIRouter(include_in_schema=False)
SPACE = "/spaces/{space_id}"


def _done(
    call: Callable[[], Outcome], back: str, to: Callable[[str], str] | None = None
) -> Response:
    """Take the action, then go to `to(event id)` (or back to `back`), or back to `back` with
    the refusal and its code shown there."""
    return acted(call, back, COLLAB_REFUSALS, to, words=True)


def _tried(call: Callable[[], Outcome], form: str) -> tuple[str | None, dict[str, str]]:
    """Take the action of the form called `form`: the new event's id, or what is wrong in a
    member's words, keyed "form-field" for a field (the id its note gets on the page) and
    "form" for the form as a whole."""
    try:
        outcome = call()
    except RateLimited:
        raise
    except FieldProblem as wrong:
        return None, {f"{form}-{wrong.field}": wrong.message}
    except P2PError as error:
        return None, {form: flash_of(error.code, error.message, COLLAB_REFUSALS, words=True)}
    problem = problem_of(outcome, COLLAB_REFUSALS, words=True)
    if problem is not None:
        return None, {form: problem}
    return outcome.id, {}


@router.get(SPACE + "/projects")
def projects_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """The space's projects, with the form to start one."""
    return _projects_view(request, node, account, space_id)


def _projects_view(
    request: Request, node: Node, account: Account | None, space_id: str, status: int = 200,
    **shown: Any,
) -> HTMLResponse:  # fmt: skip
    """The projects page; after a refused form, what was typed and what is wrong (`shown`)."""
    authority = space_authority(node, space_id)
    if authority is None:
        return missing(request, account, f"no space {space_id!r} on this node")
    common = collab_context(node, authority, account)
    return render(request, "collab_projects.html", account, status, **common, **shown)


@router.post(SPACE + "/projects")
def create_project(
    request: Request, space_id: str, node: NodeDep, account: AccountDep,
    form: Annotated[ProjectForm, Form()],
) -> Response:  # fmt: skip
    """Start the project the form describes, then show it; a refused form comes back as
    typed, with what is wrong next to its field."""
    made, errors = _tried(
        lambda: node.act(account, space_id, "project.create",
                         project_content(with_member_named(node, form))), "project"
    )  # fmt: skip
    if made is not None:
        return RedirectResponse(f"/spaces/{space_id}/projects/{made}", 303)
    return _projects_view(request, node, account, space_id, 422, errors=errors,
                          typed={"project": form})  # fmt: skip


@router.get(SPACE + "/projects/{project_id}")
def project_page(
    request: Request, space_id: str, project_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """A project: what it is, its members, its tasks and threads, and the forms to change it."""
    return _project_view(request, node, account, space_id, project_id)


def _project_view(
    request: Request, node: Node, account: Account | None, space_id: str, project_id: str,
    status: int = 200, **shown: Any,
) -> HTMLResponse:  # fmt: skip
    authority = space_authority(node, space_id)
    common = collab_context(node, authority, account) if authority else {}
    project = common["board"].projects.get(project_id) if authority else None
    if project is None:
        return missing(request, account, f"no project {project_id!r} in this space")
    tasks = [t for t in common["board"].tasks.values() if t.project == project_id]
    threads = common["state"].threads.on("project", project_id)
    return render(request, "collab_project.html", account, status, project=project, tasks=tasks,
                  threads=threads, on=("project", project_id), **common, **shown)  # fmt: skip


@router.post(SPACE + "/projects/{project_id}")
def update_project(
    space_id: str, project_id: str, node: NodeDep, account: AccountDep,
    form: Annotated[ProjectForm, Form()],
) -> Response:  # fmt: skip
    back = f"/spaces/{space_id}/projects/{project_id}"

    def change() -> Outcome:
        content = project_change(project_id, with_member_named(node, form))
        return node.act(account, space_id, "project.update", content)

    return _done(change, back)


@router.get(SPACE + "/tasks")
def board_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep,
    label: Annotated[str, Query(max_length=40)] = "",
    assignee: Annotated[str, Query(max_length=80)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:  # fmt: skip
    """The task board: a column per state, filtered by label and assignee (a username), each
    column's first tasks; with `status`, that column alone, a page at a time."""
    authority = space_authority(node, space_id)
    if authority is None:
        return missing(request, account, f"no space {space_id!r} on this node")
    return board_view(request, node, account, authority, label, assignee, status)


@router.post(SPACE + "/tasks")
def create_task(
    request: Request, space_id: str, node: NodeDep, account: AccountDep,
    form: Annotated[TaskForm, Form()],
) -> Response:  # fmt: skip
    """Open the task the form describes, then show it; a refused form comes back on the
    board as typed, with what is wrong next to its field."""
    authority = space_authority(node, space_id)
    if authority is None:
        return missing(request, account, f"no space {space_id!r} on this node")
    made, errors = _tried(lambda: node.act(account, space_id, "task.create", task_content(
        form, zone_of(request))), "task")  # fmt: skip
    if made is not None:
        return RedirectResponse(f"/spaces/{space_id}/tasks/{made}", 303)
    return board_view(request, node, account, authority, code=422, task_form=form,
                      errors=errors, error=errors.get("task"))  # fmt: skip


@router.get(SPACE + "/tasks/{task_id}")
def task_page(
    request: Request, space_id: str, task_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """A task: its description, labels, due date, bounty, assignees and history; the moves
    the viewer may make; once done, the claim it drafts."""
    return _task_view(request, node, account, space_id, task_id)


def _task_view(
    request: Request, node: Node, account: Account | None, space_id: str, task_id: str,
    status: int = 200, **shown: Any,
) -> HTMLResponse:  # fmt: skip
    authority = space_authority(node, space_id)
    common = collab_context(node, authority, account) if authority else {}
    task: Task | None = common["board"].tasks.get(task_id) if authority else None
    if authority is None or task is None:
        return missing(request, account, f"no task {task_id!r} in this space")
    did = account.did if account else ""
    draft = node.service(Collab).draft(space_id, task_id)
    ledger = node.service(Value).ledger(space_id)
    filed = ledger.evidence.get(task_id) if draft else None
    return render(
        request, "collab_task.html", account, status, task=task, on=("task", task_id),
        description=markdown(task.description) if task.description else "",
        moves=moves(common["board"], task, did, authority, now_ms()), draft=draft,
        filed=filed, claim=ledger.claims.get(filed) if filed else None,
        may_pay=authority.charter.allows(authority.roles_of(did), "bounty.pay"),
        threads=common["state"].threads.on("task", task_id), **common, **shown,
    )  # fmt: skip


@router.post(SPACE + "/tasks/{task_id}/move")
def move_task(
    request: Request, space_id: str, task_id: str, node: NodeDep, account: AccountDep,
    form: Annotated[MoveForm, Form()],
) -> Response:  # fmt: skip
    """Move the task along its lifecycle; a move the graph does not allow is refused, next
    to the move's form with what was typed in it kept."""

    def move() -> Outcome:
        type, content = move_content(task_id, with_named(node, form))
        return node.act(account, space_id, type, content)

    action = form.action if form.action in MOVES else "move"
    made, errors = _tried(move, action)
    if made is not None:
        return RedirectResponse(f"/spaces/{space_id}/tasks/{task_id}", 303)
    return _task_view(request, node, account, space_id, task_id, 422, errors=errors,
                      typed={action: form}, error=errors.get("move"))  # fmt: skip


@router.post(SPACE + "/tasks/{task_id}/claim")
def confirm_claim(
    space_id: str, task_id: str, node: NodeDep, account: AccountDep,
    quantity: Annotated[str, Form(max_length=20)] = "",
) -> Response:  # fmt: skip
    """File the task's drafted claim as the calling assignee."""
    back = f"/spaces/{space_id}/tasks/{task_id}"

    def confirm() -> Outcome:
        given = quantity.strip()
        if given and not given.isdigit():
            raise P2PError("invalid_content", "the quantity is a whole number", 422)
        return node.service(Collab).confirm(
            account, space_id, task_id, int(given) if given else None
        )

    return _done(confirm, back)


@router.post(SPACE + "/tasks/{task_id}/bounty")
def pay_bounty(space_id: str, task_id: str, node: NodeDep, account: AccountDep) -> Response:
    """Pay the bounty of the claim the task's completion filed, once it is accepted."""
    back = f"/spaces/{space_id}/tasks/{task_id}"

    def pay() -> Outcome:
        claim = node.service(Value).ledger(space_id).evidence.get(task_id)
        if claim is None:
            raise P2PError("unknown_claim", "no claim was filed for this task", 404)
        return node.service(Value).pay_bounty(account, space_id, claim)

    return _done(pay, back)


@router.get(SPACE + "/threads")
def threads_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """Every thread of the space, newest first, with the form to start one on the space."""
    return _threads_view(request, node, account, space_id)


def _threads_view(
    request: Request, node: Node, account: Account | None, space_id: str, status: int = 200,
    **shown: Any,
) -> HTMLResponse:  # fmt: skip
    authority = space_authority(node, space_id)
    if authority is None:
        return missing(request, account, f"no space {space_id!r} on this node")
    common = collab_context(node, authority, account)
    threads = list(reversed(common["state"].threads.on()))
    return render(request, "collab_threads.html", account, status, threads=threads,
                  on=("space", ""), **common, **shown)  # fmt: skip


@router.post(SPACE + "/threads")
def create_thread(
    request: Request, space_id: str, node: NodeDep, account: AccountDep,
    form: Annotated[ThreadForm, Form()],
) -> Response:  # fmt: skip
    """Start a thread on the space, a project or a task, then show it; a refused form
    comes back on the page it was sent from, as typed, with what is wrong next to its field."""
    made, errors = _tried(lambda: node.act(account, space_id, "thread.create",
                                           thread_content(form)), "thread")  # fmt: skip
    if made is not None:
        return RedirectResponse(f"/spaces/{space_id}/threads/{made}", 303)
    shown = {"errors": errors, "typed": {"thread": form}}
    if form.kind == "project" and form.target:
        return _project_view(request, node, account, space_id, form.target, 422, **shown)
    if form.kind == "task" and form.target:
        return _task_view(request, node, account, space_id, form.target, 422, **shown)
    return _threads_view(request, node, account, space_id, 422, **shown)


@router.get(SPACE + "/threads/{thread_id}")
def thread_page(
    request: Request, space_id: str, thread_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """A thread: its posts as sanitised HTML with mentions linked, reactions and history."""
    return _thread_view(request, node, account, space_id, thread_id)


def _thread_view(
    request: Request, node: Node, account: Account | None, space_id: str, thread_id: str,
    status: int = 200, **shown: Any,
) -> HTMLResponse:  # fmt: skip
    authority = space_authority(node, space_id)
    common = collab_context(node, authority, account) if authority else {}
    thread = common["state"].threads.threads.get(thread_id) if authority else None
    if thread is None:
        return missing(request, account, f"no thread {thread_id!r} in this space")
    posts = [_post(node, space_id, common["state"].threads.posts[p]) for p in thread.posts]
    return render(request, "collab_thread.html", account, status, thread=thread, posts=posts,
                  about=_about(common["state"], thread), reactions=REACTIONS,
                  remote_replies=remote_replies(node, space_id, thread_id),
                  **common, **shown)  # fmt: skip


def _post(node: Node, space_id: str, post: Post) -> dict[str, Any]:
    """A post as the thread page shows it; `html` is the sanitiser's output, shown as is."""
    mentions = node.service(Collab).mentions(space_id, post.text)
    links = {
        m["username"]: f"/spaces/{space_id}/members/{quote(m['did'], safe='')}" for m in mentions
    }
    return {"post": post, "html": with_mentions(markdown(post.text), links),
            "edited": len(post.versions) > 1, "mentions": mentions}  # fmt: skip


def _about(state: CollabState, thread: Thread) -> tuple[str, str] | None:
    """The title and page path of what the thread is on, where this node has a page for it."""
    if thread.kind == "project" and thread.target in state.board.projects:
        return state.board.projects[thread.target].name, f"projects/{thread.target}"
    if thread.kind == "task" and thread.target in state.board.tasks:
        return state.board.tasks[thread.target].title, f"tasks/{thread.target}"
    if thread.kind == "proposal":
        return "a proposal", f"proposals/{thread.target}"
    return None


def _thread_of(node: Node, space_id: str, post_id: str) -> str:
    post = node.service(Collab).state(space_id).threads.posts.get(post_id)
    return f"/spaces/{space_id}/threads/{post.thread}" if post else f"/spaces/{space_id}/threads"


@router.post(SPACE + "/threads/{thread_id}/replies")
def reply(
    request: Request, space_id: str, thread_id: str, node: NodeDep, account: AccountDep,
    text: Annotated[str, Form(max_length=BOUND)] = "",
) -> Response:  # fmt: skip
    """Reply in the thread; a refused reply comes back with its text kept and what is wrong
    next to it."""
    made, errors = _tried(lambda: node.act(account, space_id, "thread.reply",
                                           reply_content(thread_id, text)), "reply")  # fmt: skip
    back = f"/spaces/{space_id}/threads/{thread_id}"
    if made is not None:
        return RedirectResponse(back, 303)
    return _thread_view(request, node, account, space_id, thread_id, 422, errors=errors,
                        typed={"reply": {"text": text}})  # fmt: skip


@router.post(SPACE + "/posts/{post_id}/edits")
def edit(
    space_id: str, post_id: str, node: NodeDep, account: AccountDep,
    text: Annotated[str, Form(max_length=20_000)],
) -> Response:  # fmt: skip
    """Edit one's own post; every earlier version stays in its history."""
    content = {"post": post_id, "text": text}
    back = _thread_of(node, space_id, post_id)
    return _done(lambda: node.act(account, space_id, "thread.edit", content), back)


@router.post(SPACE + "/posts/{post_id}/reactions")
def react(
    space_id: str, post_id: str, node: NodeDep, account: AccountDep,
    emoji: Annotated[str, Form(max_length=8)], on: Annotated[str, Form(max_length=5)] = "true",
) -> Response:  # fmt: skip
    """Add a reaction, or take it back (`on` false): each reaction button toggles."""
    content = {"post": post_id, "emoji": emoji, "on": on == "true"}
    back = _thread_of(node, space_id, post_id)
    return _done(lambda: node.act(account, space_id, "thread.react", content), back)
