"""The notifications pages: what waits for a member, newest first, each marked read with a
button (no script needed); their mail preferences; and the unsubscribe link every mail
carries, which works without logging in. The navigation shows the unread count."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from p2pvalue.accounts import Account
from p2pvalue.social import Social
from p2pvalue.social.mailing import CADENCES
from p2pvalue.social.notice_text import link, sentence
from p2pvalue.social.notifications import KINDS, Note
from p2pvalue.web import i18n
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.layout import back_with, render, templates

router = APIRouter(include_in_schema=False)
HOME = "/notifications"
SETTINGS = "/notifications/settings"
MAX_TOKEN = 100
# What each kind is, in a member's words, for the preferences page.
KIND_LABELS = {
    "mention": "Someone mentions you",
    "review_requested": "A contribution waits for your review",
    "review_received": "Someone reviews your contribution",
    "claim_decided": "Your contribution is accepted or not",
    "payout": "You are paid",
    "task_assigned": "A task is assigned to you",
    "proposal_opened": "A proposal opens for your vote",
    "closing_soon": "A proposal closes soon and you have not voted",
    "vote_reminder": "A reminder to vote before a proposal closes",
    "outcome": "A proposal is decided",
}
CADENCE_LABELS = {"immediately": "At once", "daily": "In a daily digest",
                  "weekly": "In a weekly digest", "never": "Never"}  # fmt: skip


def unread_notifications(request: Request, account: Account | None) -> int:
    """How many notifications the viewer has not read; 0 for a visitor."""
    if account is None:
        return 0
    social: Social = request.app.state.node.service(Social)
    return social.notifications.unread(account.did)


templates.env.globals["unread_notifications"] = unread_notifications


def _shown(social: Social, note: Note) -> dict[str, Any]:
    """A notification as the page shows it: its sentence in full (the member reads it on
    their own node) and where to go."""
    said = sentence(note, social.mailing.name_of, private=False, gettext=i18n.gettext)
    return {**note, "sentence": said, "link": link(note)}


@router.get(HOME)
def notifications_page(request: Request, node: NodeDep, account: MaybeAccountDep) -> HTMLResponse:
    """Everything you should know about, newest first, the unread ones marked."""
    if account is None:
        return render(request, "notifications.html", None, notes=[])
    social = node.service(Social)
    notes = [_shown(social, note) for note in social.notifications.of(account.did)]
    return render(request, "notifications.html", account, notes=notes)


@router.post(HOME + "/read")
def mark_read(
    node: NodeDep, account: AccountDep, note: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Mark one notification read (`note`), or all of them when none is named."""
    node.service(Social).notifications.mark_read(account.did, [note] if note else None)
    return back_with(HOME + (f"#after-{note}" if note else ""))


def _settings_page(
    request: Request, account: Account, address: str, cadences: dict[str, str],
    errors: dict[str, str] | None = None, saved: bool = False,
) -> HTMLResponse:  # fmt: skip
    return render(
        request, "notification_settings.html", account, 422 if errors else 200,
        address=address, cadences=cadences, errors=errors or {}, saved=saved, kinds=KINDS,
        kind_labels=KIND_LABELS, cadence_labels=CADENCE_LABELS, choices=CADENCES,
    )  # fmt: skip


@router.get(SETTINGS)
def settings_page(
    request: Request, node: NodeDep, account: MaybeAccountDep,
    saved: Annotated[bool, Query()] = False,
) -> HTMLResponse:  # fmt: skip
    """Your e-mail address and how often each kind of notification is mailed to you."""
    if account is None:
        return render(request, "notifications.html", None, notes=[])
    choice = node.service(Social).mailing.choice(account.did)
    return _settings_page(request, account, choice.address, choice.cadences, saved=saved)


@router.post(SETTINGS)
async def save_settings(request: Request, node: NodeDep, account: AccountDep) -> Response:
    """Keep the address and choices, or show the form again with what was wrong by each
    field and everything typed kept."""
    form = await request.form()
    address = str(form.get("address", ""))[:1000]
    cadences = {kind: str(form.get(f"cadence_{kind}", "")) for kind in KINDS}
    errors = node.service(Social).mailing.save(account.did, address, cadences)
    if errors:
        return _settings_page(request, account, address, cadences, errors)
    return back_with(SETTINGS + "?saved=true")


@router.get(HOME + "/unsubscribe")
def unsubscribe_page(
    request: Request, account: MaybeAccountDep,
    token: Annotated[str, Query(max_length=MAX_TOKEN)] = "",
) -> HTMLResponse:  # fmt: skip
    """The page an unsubscribe link opens: one button stops all mail."""
    return render(request, "notification_unsubscribe.html", account, token=token, done=False)


@router.post(HOME + "/unsubscribe")
async def unsubscribe(
    request: Request, node: NodeDep, account: MaybeAccountDep,
    token: Annotated[str, Query(max_length=MAX_TOKEN)] = "",
) -> HTMLResponse:  # fmt: skip
    """Stop all mail for the member whose link holds the token (in the address, as a
    one-click unsubscribe from a mail program sends it, or in the form)."""
    form = await request.form()
    token = token or str(form.get("token", ""))[:MAX_TOKEN]
    if not node.service(Social).mailing.unsubscribe(token):
        message = i18n.gettext(
            "This unsubscribe link is not one this node gave out, or it was changed."
        )
        return render(request, "notification_unsubscribe.html", account, 404, token=token,
                      done=False, error=message)  # fmt: skip
    return render(request, "notification_unsubscribe.html", account, token=token, done=True)
