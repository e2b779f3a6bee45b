"""A proposal's outcome said in words for the proposal page: whether it passed and why, in
counts a member reads without knowing the method's figures, and what was applied."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from p2pvalue.governance.methods import Option
from p2pvalue.governance.proposals import DRAFT, ENACTED, OPEN, REJECTED, WITHDRAWN, Proposal
from p2pvalue.web.governance.words import label_of
from p2pvalue.web.value.pages import money

STATUS_WORDS = {DRAFT: "draft", OPEN: "open for voting", REJECTED: "rejected",
                WITHDRAWN: "withdrawn"}  # fmt: skip
CHOICES = (("yes", "yes"), ("no", "no"), ("abstain", "abstaining"), ("block", "blocking"))


def status_words(proposal: Proposal) -> str:
    """The proposal's status as a member says it: a decision in words that passed has
    passed; an action that passed has passed and was applied (or could not be)."""
    if proposal.status != ENACTED:
        return STATUS_WORDS.get(proposal.status, proposal.status)
    if proposal.action.get("type") == "text":
        return "passed"
    return "passed, not applied" if proposal.note else "passed and applied"


def count_words(result: Mapping[str, Any], closed: bool) -> str:
    """How the votes stand, in one sentence: "Passed: 2 yes, 0 no … of 3 who could vote"."""
    passed = result.get("outcome") == "passed"
    lead = ("Passed" if passed else "Rejected") if closed else (
        "As it stands it would pass" if passed else "As it stands it would not pass")  # fmt: skip
    figures = result.get("figures") or {}
    counts = [f"{_whole(figures[key])} {word}" for key, word in CHOICES if key in figures]
    if not counts:
        return f"{lead}."
    took_part = ""
    if "cast" in figures and "eligible" in figures:
        took_part = f", with {_whole(figures['cast'])} of {_whole(figures['eligible'])} voting"
    support = ""
    if "support" in figures and "threshold" in figures:
        share, needed = _percent(figures["support"]), _percent(figures["threshold"])
        over = "over" if passed or Fraction(str(figures["support"])) > Fraction(
            str(figures["threshold"])) else "not over"  # fmt: skip
        support = f"; support of {share} is {over} the {needed} needed"
    return f"{lead}: {', '.join(counts)}{took_part}{support}."


def applied_words(
    proposal: Proposal, winners: Sequence[str], options: Sequence[Option], names: Mapping[str, str]
) -> str:
    """What the platform changed when the proposal passed, or "" when it changed nothing
    (a decision in words, or a proposal that did not pass)."""
    if proposal.status != ENACTED or proposal.note:
        return ""
    action = proposal.action
    kind = action.get("type")
    member = names.get(action.get("member") or "") or action.get("member") or ""
    role = action.get("role") or ""
    if kind == "treasury.spend":
        return f"Applied: {money(action['amount'], action['currency'])} is paid to {action['to']}."
    if kind == "election":
        elected = ", ".join(label_of(w, options, names) for w in winners) or "no one"
        return f"Applied: {elected} now hold{'s' if len(winners) == 1 else ''} the role {role}."
    if kind == "contribution.resolve":
        return f"Applied: the claim is {'accepted' if action.get('accept') else 'rejected'}."
    return {
        "role.grant": f"Applied: {member} now holds the role {role}.",
        "role.revoke": f"Applied: {member} no longer holds the role {role}.",
        "member.admit": f"Applied: {member} is now a member.",
        "member.remove": f"Applied: {member} is no longer a member.",
        "charter.amend": "Applied: the charter now reads as amended (what changed is below).",
        "value.equation": "Applied: the new value equation is in force.",
    }.get(str(kind), "")


def _whole(value: object) -> str:
    shown = str(value)
    return shown.removesuffix("/1")


def _percent(value: object) -> str:
    share = Fraction(str(value)) * 100
    return f"{round(share)} %" if share.denominator != 1 else f"{share.numerator} %"
