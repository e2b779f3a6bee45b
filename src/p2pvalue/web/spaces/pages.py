"""Server-rendered pages: sign up, log in, spaces, a space's timeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from p2pvalue.accounts import LIFETIME_MS, Account
from p2pvalue.collab.markdown import render as markdown
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.event import Event
from p2pvalue.federation.joining import Provisional
from p2pvalue.login_throttle import LoginLocked
from p2pvalue.web import i18n
from p2pvalue.web.activity import short_name, tell
from p2pvalue.web.auth import COOKIE, AccountDep, MaybeAccountDep, NodeDep, same_origin_form
from p2pvalue.web.federation.api import provisional_of
from p2pvalue.web.i18n import ngettext
from p2pvalue.web.layout import act_and_return, render
from p2pvalue.web.naming import names_of
from p2pvalue.web.paging import page_of
from p2pvalue.web.phrasing import Happening
from p2pvalue.web.spaces.api import post_replies

router = APIRouter(include_in_schema=False)
TIMELINE_LENGTH = 100
SHOWN_MEMBERS, SHOWN_REQUESTS = 8, 5  # on the space page; the rest on pages of their own


def _logged_in(account: Account, node: NodeDep, to: str = "/") -> Response:
    token = node.accounts.open_session(account, "cookie")
    response = RedirectResponse(to, status_code=303)
    response.set_cookie(
        COOKIE, token, max_age=LIFETIME_MS["cookie"] // 1000, httponly=True, samesite="strict"
    )
    if account.language:
        i18n.remember(response, account.language)  # the member's choice, on this browser too
    return response


@router.get("/")
def home(request: Request, node: NodeDep, account: MaybeAccountDep) -> HTMLResponse:
    spaces = node.spaces(account.did if account else None)
    return render(request, "home.html", account, spaces=spaces)


def _next(to: str) -> str:
    """Where to go after signing up or logging in: a path on this site, else home."""
    return to if to.startswith("/") and not to.startswith(("//", "/\\")) else "/"


@router.get("/signup")
def signup_form(
    request: Request, account: MaybeAccountDep, next: Annotated[str, Query(max_length=200)] = "/"
) -> HTMLResponse:
    return render(request, "signup.html", account, next=_next(next))


@router.post("/signup", dependencies=[Depends(same_origin_form)])
def signup(
    request: Request,
    node: NodeDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form(max_length=200)] = "/",
) -> Response:
    try:
        account = node.accounts.register(username.strip(), password)
    except P2PError as error:
        field = "password" if error.code == "weak_password" else "username"
        return render(request, "signup.html", None, 422, username=username,
                      errors={field: error.message}, next=_next(next))  # fmt: skip
    return _logged_in(account, node, _next(next))


@router.get("/login")
def login_form(
    request: Request, account: MaybeAccountDep, next: Annotated[str, Query(max_length=200)] = "/"
) -> HTMLResponse:
    return render(request, "login.html", account, next=_next(next))


@router.post("/login", dependencies=[Depends(same_origin_form)])
def login(
    request: Request,
    node: NodeDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form(max_length=200)] = "/",
) -> Response:
    to = _next(next)
    try:
        account = node.accounts.check_password(username.strip(), password)
    except LoginLocked as locked:
        message = locked_words(locked.retry_after_s)
        page = render(request, "login.html", None, 429, error=message, username=username, next=to)
        page.headers.update(locked.headers)
        return page
    except P2PError as error:
        return render(request, "login.html", None, 401, error=error.message, username=username,
                      next=to)  # fmt: skip
    return _logged_in(account, node, to)


@router.post("/logout", dependencies=[Depends(same_origin_form)])
def logout(request: Request, node: NodeDep) -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        node.accounts.close_session(token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.post("/spaces")
def create_space(
    request: Request,
    node: NodeDep,
    account: AccountDep,
    name: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
    membership: Annotated[str, Form()] = "open",
    private: Annotated[bool, Form()] = False,
) -> Response:
    """Found a space from the home page's form (a private one is by invitation)."""
    spaces = node.spaces(account.did)
    if private:
        membership = "invite"
    try:
        outcome = node.create_space(
            account, name.strip(), description.strip(), membership, private=private
        )
    except P2PError as error:
        return render(request, "home.html", account, 422, spaces=spaces, error=error.message)
    if outcome.status != "accepted":
        message = outcome.message or outcome.status
        return render(request, "home.html", account, 422, spaces=spaces, error=message)
    return RedirectResponse(f"/spaces/{outcome.id}", status_code=303)


@router.get("/spaces/{space_id}")
def space_page(
    request: Request,
    space_id: str,
    node: NodeDep,
    account: MaybeAccountDep,
) -> HTMLResponse:
    joining = provisional_of(request, node, space_id)
    if joining is not None:
        return _joining(request, node, account, *joining)
    try:
        space = node.space(space_id)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    # Rejected events are kept for audit (the API's log), never shown as a space's content.
    events = node.events(space_id, after=space.events, limit=TIMELINE_LENGTH, newest_first=True,
                         accepted_only=True)  # fmt: skip
    members = node.members(space_id)
    present = node.members_by_joining(space_id, "member")
    requests = node.members_by_joining(space_id, "requested")
    shown = present[:SHOWN_MEMBERS] + requests[:SHOWN_REQUESTS]
    dids = list({e.author for e in events} | {m["did"] for m in shown})
    mine = next((m for m in members if account and m["did"] == account.did), None)
    roles = mine["roles"] if mine and mine["status"] == "member" else []
    may_admit = any(set(space.charter["roles"].get(r, ())) & {"*", "member.admit"} for r in roles)
    posts = [e.id for e in events if e.type == "post.create"]
    reader = account.did if account else None
    names = names_of(node, dids, reader)
    named = {did: names.get(did) or short_name(did) for did in dids}
    return render(
        request,
        "space.html",
        account,
        space=space,
        activity=tell(request, node, events, reader, named),
        present=present[:SHOWN_MEMBERS],
        present_count=len(present),
        requests=requests[:SHOWN_REQUESTS],
        request_count=len(requests),
        names=names,
        my_status=mine["status"] if mine else None,
        may_admit=may_admit,
        remote_replies=post_replies(node, space_id, posts),
    )


@router.get("/spaces/{space_id}/members")
def members_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """The space's members, a page at a time, in the order they joined."""
    try:
        space = node.space(space_id)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    page = page_of(request, node.members_by_joining(space_id, "member"))
    names = names_of(node, [m["did"] for m in page.items], account.did if account else None)
    return render(request, "space_members.html", account, space=space, page=page, names=names)


@router.get("/spaces/{space_id}/history")
def history_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:  # fmt: skip
    """The space's events as signed, rejected ones too, newest first: for auditors.
    `before` is a position in the log, for older events."""
    try:
        space = node.space(space_id)
    except NotFound as missing:
        return render(request, "missing.html", account, 404, error=missing.message)
    start = space.events if before is None else min(before, space.events)
    events = node.events(space_id, after=start, limit=TIMELINE_LENGTH, newest_first=True)
    older = events[-1].position if len(events) == TIMELINE_LENGTH else None
    names = names_of(node, {e.author for e in events}, account.did if account else None)
    return render(request, "space_history.html", account, space=space, events=events,
                  names=names, older=older)  # fmt: skip


def _joining(
    request: Request, node: NodeDep, account: Account | None, view: Provisional,
    shown: dict[str, Any],
) -> HTMLResponse:  # fmt: skip
    """A space whose log this node is still copying: its name, how far the copy is, and the
    newest events and members as the node it comes from shows them, marked provisional."""
    titles = {e.id: e.content.get("title") for e in view.recent if e.type == "thread.create"}
    entries = [_entry(event, titles) for event in view.recent]
    dids = {e.author for e in view.recent} | {m["did"] for m in shown["sync"]["members"] or ()}
    reader = account.did if account else None
    names = names_of(node, dids, reader)
    named = {did: names.get(did) or short_name(did) for did in dids}
    space = str(shown["id"])
    told = tell(request, node, [_happening(event, space) for event in view.recent], reader, named)
    sentences = {item.happening.id: item.sentence for item in told}
    return render(request, "space_joining.html", account, space=shown, sync=shown["sync"],
                  entries=entries, names=names, sentences=sentences)  # fmt: skip


def _happening(event: Event, space: str) -> Happening:
    return Happening(event.id, event.type, event.author, space, event.ts, event.content)


def _entry(event: Event, titles: Mapping[str, Any]) -> dict[str, Any]:
    """A provisional event as the page shows it: a thread's title, the thread a reply is in
    (if shown too), and a post's text as sanitised Markdown."""
    content = event.content
    text = content.get("text")
    return {
        "event": event,
        "title": content.get("title") if event.type == "thread.create" else None,
        "thread": titles.get(str(content.get("thread"))) if event.type == "thread.reply" else None,
        "html": markdown(text) if isinstance(text, str) else None,
    }


@router.post("/spaces/{space_id}/act")
def act(
    space_id: str,
    node: NodeDep,
    account: AccountDep,
    type: Annotated[str, Form()],
    text: Annotated[str, Form()] = "",
    member: Annotated[str, Form()] = "",
) -> Response:
    content: dict[str, Any] = {}
    if type == "post.create":
        content["text"] = text.strip()
    if member:
        content["member"] = member
    return act_and_return(node, account, space_id, type, content, f"/spaces/{space_id}")


def locked_words(seconds: int) -> str:
    """Why a login is refused for a while, and for how long, in the reader's language."""
    if seconds < 90:
        return ngettext("Too many failed logins for this account. Please try again in "
                        "%(num)d second.", "Too many failed logins for this account. Please "
                        "try again in %(num)d seconds.", seconds)  # fmt: skip
    return ngettext("Too many failed logins for this account. Please try again in %(num)d "
                    "minute.", "Too many failed logins for this account. Please try again in "
                    "%(num)d minutes.", -(-seconds // 60))  # fmt: skip
