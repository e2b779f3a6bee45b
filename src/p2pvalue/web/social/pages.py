"""Pages for the social side: a member's profile (as the viewer may see it, and for its owner
the form that edits it and the button that erases it), follows, and the feed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from p2pvalue.accounts import Account
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.social.profiles import FIELDS, VISIBILITIES
from p2pvalue.store.social import PERSON, SPACE
from p2pvalue.web.activity import happenings, tell
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.i18n import N_, gettext
from p2pvalue.web.layout import back_with, flash_of, render, templates
from p2pvalue.web.social.standing import standings

router = APIRouter(include_in_schema=False)
FEED_PAGE = 20
RECENT = 20  # events of a member shown on their profile
MEMBER = "/members/{did}"
LABELS = {"display_name": N_("Display name"), "bio": N_("Bio"), "avatar_url": N_("Avatar URL"),
          "links": N_("Links (one a line)"), "skills": N_("Skills (comma-separated)")}  # fmt: skip
# What is wrong with a refused profile field, in a member's words (`limit` from the refusal).
PROFILE_PROBLEMS = {
    "bad_url": N_("Write each link as a web address, like https://example.org."),
    "url_scheme_not_allowed": N_("Only addresses starting with https:// or http:// can be linked."),
    "profile_value_too_long": N_("This is too long: at most %(limit)s characters."),
    "too_many_items": N_("That is too many: at most %(limit)s."),
    "bad_visibility": N_("Choose who may see it from the list."),
}
ANY_PROBLEM = N_("Write it as plain text, each item once.")


class ProfileForm(BaseModel):
    """The edit form: each field's text and who may see it; an empty field is removed."""

    display_name: str = ""
    display_name_visibility: str = "private"
    bio: str = ""
    bio_visibility: str = "private"
    avatar_url: str = ""
    avatar_url_visibility: str = "private"
    links: str = ""
    links_visibility: str = "private"
    skills: str = ""
    skills_visibility: str = "private"


def profile_of(form: ProfileForm) -> dict[str, Any]:
    """The profile the form describes, as `Profiles.replace` takes it: links one a line,
    skills separated by commas, empty fields left out."""
    given: dict[str, Any] = {}
    for field in FIELDS:
        text = str(getattr(form, field)).strip()
        if not text:
            continue
        value: Any = text
        if field == "links":
            value = [line.strip() for line in text.splitlines() if line.strip()]
        elif field == "skills":
            value = [part.strip() for part in text.split(",") if part.strip()]
        given[field] = {"value": value, "visibility": getattr(form, f"{field}_visibility")}
    return given


def _mine(account: Account) -> str:
    return f"/members/{quote(account.did, safe=':')}"


def following(request: Request, account: Account | None, kind: str, target: str) -> bool:
    """Whether the viewer follows `target` (a space or a member): for the follow buttons."""
    if account is None:
        return False
    node: Node = request.app.state.node
    followed = node.service(Social).follows.of(account.did)
    return target in followed["spaces" if kind == SPACE else "members"]


templates.env.globals["following"] = following


@router.get(MEMBER)
def profile_page(request: Request, did: str, node: NodeDep, viewer: MaybeAccountDep) -> Response:
    """A member's profile, only the fields the viewer may see; `me` is the viewer's own."""
    if did == "me":
        return RedirectResponse(_mine(viewer) if viewer else "/login", 303)
    return _profile(request, node, viewer, did)


def _profile(
    request: Request, node: Node, viewer: Account | None, did: str,
    typed: ProfileForm | None = None, errors: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    """The profile page; for its owner whose edit was refused, the form as they typed it,
    with what is wrong next to the field."""
    try:
        profile = node.service(Social).profiles.get(did, viewer)
    except NotFound as missing:
        return render(request, "missing.html", viewer, 404, error=missing.message)
    mine = viewer is not None and viewer.did == did
    reader = viewer.did if viewer else None
    rows = node.service(Social).feed.by_member(did, reader, RECENT)
    form = _form_values(profile["fields"]) if mine else {}
    if typed is not None:
        form = {
            field: {
                "value": getattr(typed, field),
                "visibility": getattr(typed, f"{field}_visibility"),
            }
            for field in FIELDS
        }
    return render(
        request, "social_profile.html", viewer, 422 if errors else 200, profile=profile,
        mine=mine, labels=LABELS, visibilities=VISIBILITIES, form=form, errors=errors or {},
        standing=standings(node, did, viewer),
        activity=tell(request, node, happenings(rows), reader),
    )  # fmt: skip


def _problem(error: P2PError) -> tuple[str, str]:
    """The profile field a refusal is about (its message starts with the field's name) and
    what is wrong with it, in words."""
    field = error.message.split(":", 1)[0].strip("'")
    field = field if field in FIELDS else "display_name"
    limit = re.search(r"at most (\d+)", error.message)
    words = PROFILE_PROBLEMS.get(error.code, ANY_PROBLEM)
    return field, gettext(words, limit=limit.group(1) if limit else "")


def _form_values(fields: dict[str, Any]) -> dict[str, Any]:
    """The stored profile as the edit form shows it."""
    shown: dict[str, Any] = {}
    for field in FIELDS:
        entry = fields.get(field, {"value": "", "visibility": "private"})
        value = entry["value"]
        if isinstance(value, list):
            value = ("\n" if field == "links" else ", ").join(value)
        shown[field] = {"value": value, "visibility": entry["visibility"]}
    return shown


@router.post("/members/me/profile")
def edit_profile(
    request: Request, node: NodeDep, account: AccountDep, form: Annotated[ProfileForm, Form()]
) -> Response:
    """Replace your profile with what the form says."""
    try:
        node.service(Social).profiles.replace(account, account.did, profile_of(form))
    except P2PError as error:
        field, words = _problem(error)
        return _profile(request, node, account, account.did, form, {field: words})
    return back_with(_mine(account))


@router.post("/members/me/profile/erase")
def erase_profile(node: NodeDep, account: AccountDep) -> Response:
    """Erase every field of your profile from this node."""
    node.service(Social).profiles.erase(account)
    return back_with(_mine(account))


@router.post(MEMBER + "/follow")
def follow_member(did: str, node: NodeDep, account: AccountDep) -> Response:
    return _follow(
        lambda: node.service(Social).follows.follow_member(account, did), f"/members/{did}"
    )


@router.post(MEMBER + "/unfollow")
def unfollow_member(did: str, node: NodeDep, account: AccountDep) -> Response:
    node.service(Social).follows.unfollow(account, PERSON, did)
    return back_with(f"/members/{did}")


@router.post("/spaces/{space_id}/follow")
def follow_space(space_id: str, node: NodeDep, account: AccountDep) -> Response:
    back = f"/spaces/{space_id}"
    return _follow(lambda: node.service(Social).follows.follow_space(account, space_id), back)


@router.post("/spaces/{space_id}/unfollow")
def unfollow_space(space_id: str, node: NodeDep, account: AccountDep) -> Response:
    node.service(Social).follows.unfollow(account, SPACE, space_id)
    return back_with(f"/spaces/{space_id}")


def _follow(call: Callable[[], None], back: str) -> Response:
    try:
        call()
    except P2PError as error:
        return back_with(back, flash_of(error.code, error.message, {}))
    return back_with(back)


@router.get("/feed")
def feed_page(
    request: Request, node: NodeDep, account: MaybeAccountDep,
    before: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:  # fmt: skip
    """What the followed did, newest first, a page at a time (`before`: an older page)."""
    if account is None:
        return render(request, "social_feed.html", None, items=[], next=None)
    try:
        page = node.service(Social).feed.page(account.did, before, FEED_PAGE)
    except P2PError as error:
        problem = flash_of(error.code, error.message, {})
        return render(request, "social_feed.html", account, 422, error=problem, items=[],
                      next=None)  # fmt: skip
    told = tell(request, node, happenings(page.rows), account.did)
    spaces = {item["id"]: item["space_name"] for item in page.items}
    return render(
        request, "social_feed.html", account, items=told, spaces=spaces, next=page.next,
        older=before is not None,
    )  # fmt: skip
