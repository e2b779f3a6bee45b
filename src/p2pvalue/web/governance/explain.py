"""A proposal's outcome said in words for the proposal page: whether it passed and why, in
counts a member reads without knowing the method's figures, and what was applied."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from p2pvalue.governance.methods import Option
from p2pvalue.governance.proposals import DRAFT, ENACTED, OPEN, REJECTED, WITHDRAWN, Proposal
from p2pvalue.web.governance.words import label_of
from p2pvalue.web.i18n import N_, gettext, ngettext
from p2pvalue.web.value.pages import money

STATUS_WORDS = {
    DRAFT: N_("draft"),
    OPEN: N_("open for voting"),
    REJECTED: N_("rejected"),
    WITHDRAWN: N_("withdrawn"),
}
CHOICES = (
    ("yes", N_("%(count)s yes")),
    ("no", N_("%(count)s no")),
    ("abstain", N_("%(count)s abstaining")),
    ("block", N_("%(count)s blocking")),
)


def status_words(proposal: Proposal) -> str:
    """The proposal's status as a member says it: a decision in words that passed has
    passed; an action that passed has passed and was applied (or could not be)."""
    if proposal.status != ENACTED:
        known = STATUS_WORDS.get(proposal.status)
        return gettext(known) if known else proposal.status
    if proposal.action.get("type") == "text":
        return gettext("passed")
    return gettext("passed, not applied") if proposal.note else gettext("passed and applied")


def _lead(passed: bool, closed: bool) -> str:
    if closed:
        return gettext("Passed") if passed else gettext("Rejected")
    if passed:
        return gettext("As it stands it would pass")
    return gettext("As it stands it would not pass")


def _support(figures: Mapping[str, Any], passed: bool) -> str:
    if "support" not in figures or "threshold" not in figures:
        return ""
    share, needed = _percent(figures["support"]), _percent(figures["threshold"])
    if passed or Fraction(str(figures["support"])) > Fraction(str(figures["threshold"])):
        return gettext(
            "; support of %(share)s is over the %(needed)s needed", share=share, needed=needed
        )
    return gettext(
        "; support of %(share)s is not over the %(needed)s needed", share=share, needed=needed
    )


def count_words(result: Mapping[str, Any], closed: bool) -> str:
    """How the votes stand, in one sentence: "Passed: 2 yes, 0 no … of 3 who could vote"."""
    passed = result.get("outcome") == "passed"
    lead = _lead(passed, closed)
    figures = result.get("figures") or {}
    counts = [gettext(said, count=_whole(figures[key])) for key, said in CHOICES if key in figures]
    if not counts:
        return gettext("%(lead)s.", lead=lead)
    took_part = ""
    if "cast" in figures and "eligible" in figures:
        took_part = gettext(
            ", with %(cast)s of %(eligible)s voting",
            cast=_whole(figures["cast"]),
            eligible=_whole(figures["eligible"]),
        )
    return gettext(
        "%(lead)s: %(counts)s%(took_part)s%(support)s.",
        lead=lead,
        counts=", ".join(counts),
        took_part=took_part,
        support=_support(figures, passed),
    )


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
        return gettext(
            "Applied: %(amount)s is paid to %(to)s.",
            amount=money(action["amount"], action["currency"]),
            to=action["to"],
        )
    if kind == "election":
        return _elected(winners, options, names, role)
    if kind == "contribution.resolve":
        if action.get("accept"):
            return gettext("Applied: the claim is accepted.")
        return gettext("Applied: the claim is rejected.")
    said = {
        "role.grant": N_("Applied: %(member)s now holds the role %(role)s."),
        "role.revoke": N_("Applied: %(member)s no longer holds the role %(role)s."),
        "member.admit": N_("Applied: %(member)s is now a member."),
        "member.remove": N_("Applied: %(member)s is no longer a member."),
        "charter.amend": N_("Applied: the charter now reads as amended (what changed is below)."),
        "value.equation": N_("Applied: the new value equation is in force."),
    }.get(str(kind))
    return gettext(said, member=member, role=role) if said else ""


def _elected(
    winners: Sequence[str], options: Sequence[Option], names: Mapping[str, str], role: str
) -> str:
    if not winners:
        return gettext("Applied: no one now holds the role %(role)s.", role=role)
    elected = ", ".join(label_of(w, options, names) for w in winners)
    return ngettext(
        "Applied: %(elected)s now holds the role %(role)s.",
        "Applied: %(elected)s now hold the role %(role)s.",
        len(winners),
        elected=elected,
        role=role,
    )


def _whole(value: object) -> str:
    shown = str(value)
    return shown.removesuffix("/1")


def _percent(value: object) -> str:
    share = Fraction(str(value)) * 100
    return f"{round(share)} %" if share.denominator != 1 else f"{share.numerator} %"
