"""Notifications in a member's words: one sentence and one link for each, as the
notifications page shows them and mail carries them.

A private space's notification says only what kind of thing happened, never its title,
its space's name or who did it: mail leaves the node in plaintext, and a private space's
content is readable only on its members' nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from p2pvalue.accounting.money import format_amount
from p2pvalue.errors import P2PError

Note = dict[str, Any]
Names = Callable[[str], str]
VERDICTS = {"approve": "approved", "dispute": "disputed", "reject": "rejected"}
DECIDED = {"accepted": "was accepted", "rejected": "was not accepted"}
PRIVATE = {
    "mention": "Someone mentioned you in a private space.",
    "review_requested": "A contribution in a private space waits for your review.",
    "review_received": "Your claim in a private space was reviewed.",
    "claim_decided": "A decision was made on your claim in a private space.",
    "payout": "You were paid in a private space.",
    "task_assigned": "A task in a private space is assigned to you.",
    "proposal_opened": "A proposal in a private space is open for your vote.",
    "closing_soon": "A proposal in a private space closes soon and you have not voted.",
    "vote_reminder": "A proposal in a private space closes soon and you have not voted.",
    "outcome": "A proposal in a private space was decided.",
    "join_request": "Someone asks to join a private space you may admit them to.",
    "invitation": "You are invited to join a private space.",
}


def money(amount: int, currency: str) -> str:
    try:
        return format_amount(amount, currency)
    except P2PError:
        return f"{amount} {currency} (minor units)"


def sentence(note: Note, names: Names, private: bool | None = None) -> str:
    """What happened, addressed to the member: "Ben mentioned you in “Lathe” in Guild."
    Only the kind of thing when the note is from a private space (or `private` says so)."""
    kind = note["kind"]
    if note.get("private", False) if private is None else private:
        return PRIVATE.get(kind, "Something in a private space waits for you.")
    title, space = f"“{note.get('title', '')}”", note.get("space_name", "your space")
    by = names(note["by"]) if "by" in note else "Someone"
    said = {
        "mention": lambda: f"{by} mentioned you in {title} in {space}.",
        "review_requested": lambda: f"{by} asks for a review of {title} in {space}.",
        "review_received": lambda: (
            f"{by} {VERDICTS.get(note.get('verdict', ''), 'reviewed')} your claim {title} "
            f"in {space}."
        ),
        "claim_decided": lambda: (
            f"Your claim {title} {DECIDED.get(note.get('status', ''), 'was decided')} in {space}."
        ),
        "payout": lambda: f"You were paid {money(note['amount'], note['currency'])} in {space}.",
        "task_assigned": lambda: f"{title} in {space} is assigned to you.",
        "proposal_opened": lambda: (
            f"{title} is open for your vote in {space}"
            + (" — you voted." if note.get("voted") else ".")
        ),
        "closing_soon": lambda: f"{title} closes soon in {space}, and you have not voted.",
        "vote_reminder": lambda: (
            f"Vote on {title} in {space}: it closes in {_hours(note.get('closes_in_hours', 1))}."
        ),
        "outcome": lambda: f"{title} was decided in {space}: {note.get('status', 'closed')}.",
        "join_request": lambda: f"{by} asks to join {space}.",
        "invitation": lambda: f"{by} invites you to join {space}.",
    }
    return said[kind]() if kind in said else note.get("message") or f"News for you in {space}."


def _hours(hours: int) -> str:
    return f"{hours} hour{'s' if hours != 1 else ''}"


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
