"""Notifications in a member's words: one sentence and one link for each, as the
notifications page shows them and mail carries them.

A private space's notification says only what kind of thing happened, never its title,
its space's name or who did it: mail leaves the node in plaintext, and a private space's
content is readable only on its members' nodes.

The page words each sentence in the reader's language (it passes its `gettext`); mail is
worded in English for now, since a recipient's language is not known when it is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from p2pvalue.accounting.money import format_amount
from p2pvalue.errors import P2PError
from p2pvalue.wording import N_, Wording, english

Note = dict[str, Any]
Names = Callable[[str], str]


REVIEWED = {
    "approve": N_("%(by)s approved your claim %(title)s in %(space)s."),
    "dispute": N_("%(by)s disputed your claim %(title)s in %(space)s."),
    "reject": N_("%(by)s rejected your claim %(title)s in %(space)s."),
}
REVIEWED_ANYHOW = N_("%(by)s reviewed your claim %(title)s in %(space)s.")
DECIDED = {
    "accepted": N_("Your claim %(title)s was accepted in %(space)s."),
    "rejected": N_("Your claim %(title)s was not accepted in %(space)s."),
}
DECIDED_ANYHOW = N_("Your claim %(title)s was decided in %(space)s.")
PRIVATE = {
    "mention": N_("Someone mentioned you in a private space."),
    "review_requested": N_("A contribution in a private space waits for your review."),
    "review_received": N_("Your claim in a private space was reviewed."),
    "claim_decided": N_("A decision was made on your claim in a private space."),
    "payout": N_("You were paid in a private space."),
    "task_assigned": N_("A task in a private space is assigned to you."),
    "proposal_opened": N_("A proposal in a private space is open for your vote."),
    "closing_soon": N_("A proposal in a private space closes soon and you have not voted."),
    "vote_reminder": N_("A proposal in a private space closes soon and you have not voted."),
    "outcome": N_("A proposal in a private space was decided."),
    "join_request": N_("Someone asks to join a private space you may admit them to."),
    "invitation": N_("You are invited to join a private space."),
}


def money(amount: int, currency: str) -> str:
    try:
        return format_amount(amount, currency)
    except P2PError:
        return f"{amount} {currency} (minor units)"


def sentence(
    note: Note, names: Names, private: bool | None = None, gettext: Wording = english
) -> str:
    """What happened, addressed to the member: "Ben mentioned you in “Lathe” in Guild."
    Only the kind of thing when the note is from a private space (or `private` says so).
    Worded by `gettext`: the page's language, or English for mail."""
    kind = note["kind"]
    if note.get("private", False) if private is None else private:
        hidden = PRIVATE.get(kind)
        return gettext(hidden) if hidden else gettext("Something in a private space waits for you.")
    title = f"“{note.get('title', '')}”"
    space = note.get("space_name") or gettext("your space")
    by = names(note["by"]) if "by" in note else gettext("Someone")
    said = _SAID.get(kind)
    if said is not None:
        return said(note, gettext, by=by, title=title, space=space)
    return note.get("message") or gettext("News for you in %(space)s.", space=space)


Said = Callable[..., str]


def _reviewed(note: Note, gettext: Wording, **parts: str) -> str:
    verdict = REVIEWED.get(note.get("verdict", ""))
    return gettext(verdict or REVIEWED_ANYHOW, **parts)


def _decided(note: Note, gettext: Wording, **parts: str) -> str:
    decided = DECIDED.get(note.get("status", ""))
    return gettext(decided or DECIDED_ANYHOW, **parts)


def _paid(note: Note, gettext: Wording, **parts: str) -> str:
    amount = money(note["amount"], note["currency"])
    return gettext("You were paid %(amount)s in %(space)s.", amount=amount, space=parts["space"])


def _opened(note: Note, gettext: Wording, **parts: str) -> str:
    if note.get("voted"):
        return gettext("%(title)s is open for your vote in %(space)s — you voted.", **parts)
    return gettext("%(title)s is open for your vote in %(space)s.", **parts)


def _reminded(note: Note, gettext: Wording, **parts: str) -> str:
    hours = note.get("closes_in_hours", 1)
    if hours == 1:
        return gettext("Vote on %(title)s in %(space)s: it closes in 1 hour.", **parts)
    return gettext("Vote on %(title)s in %(space)s: it closes in %(hours)s hours.",
                   hours=hours, **parts)  # fmt: skip


def _outcome(note: Note, gettext: Wording, **parts: str) -> str:
    status = note.get("status", "closed")
    return gettext("%(title)s was decided in %(space)s: %(status)s.", status=gettext(status),
                   **parts)  # fmt: skip


def _worded(message: str) -> Said:
    def said(note: Note, gettext: Wording, **parts: str) -> str:
        return gettext(message, **parts)

    return said


_SAID: dict[str, Said] = {
    "mention": _worded(N_("%(by)s mentioned you in %(title)s in %(space)s.")),
    "review_requested": _worded(N_("%(by)s asks for a review of %(title)s in %(space)s.")),
    "review_received": _reviewed,
    "claim_decided": _decided,
    "payout": _paid,
    "task_assigned": _worded(N_("%(title)s in %(space)s is assigned to you.")),
    "proposal_opened": _opened,
    "closing_soon": _worded(N_("%(title)s closes soon in %(space)s, and you have not voted.")),
    "vote_reminder": _reminded,
    "outcome": _outcome,
    "join_request": _worded(N_("%(by)s asks to join %(space)s.")),
    "invitation": _worded(N_("%(by)s invites you to join %(space)s.")),
}
# Outcome words a note carries, marked to be translated where the sentence is worded.
OUTCOMES = (N_("passed"), N_("rejected"), N_("closed"), N_("enacted"), N_("withdrawn"))


def link(note: Note) -> str:
    """Where the member acts on or reads about the notification: a path on the node."""
    at, kind = f"/spaces/{note.get('space', '')}", note["kind"]
    if kind == "mention":
        return f"{at}/threads/{note['thread']}#post-{note['post']}"
    if kind == "review_requested":
        return f"{at}/value?status=pending"
    if kind in ("review_received", "claim_decided", "payout"):
        return f"{at}/value"
    if kind == "task_assigned":
        return f"{at}/tasks/{note['task']}"
    if kind == "join_request":
        return f"{at}/requests"
    if kind == "invitation":
        return at
    if "proposal" in note:
        return f"{at}/proposals/{note['proposal']}" + ("#vote" if kind == "vote_reminder" else "")
    return str(note.get("link") or at)
