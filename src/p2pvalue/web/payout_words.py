"""A payout policy in a member's words: in a sentence where the charter is read, in a few
words where a payout is listed."""

from __future__ import annotations

from p2pvalue.web.i18n import N_, gettext

PAYOUTS = {
    "BALANCED": N_(
        "Money coming in is split so that, over time, each member is paid in "
        "proportion to all the value they have contributed (those paid less so far catch up)."
    ),
    "IMMEDIATE": N_("Money coming in is split by the value contributed in the latest period."),
    "RECENT": N_("Money coming in is split by value contributed, recent work counting more."),
    "BUCKETS": N_("Money coming in first pays back what members spent, then is split by value."),
}
# A payout policy named in a few words, where a sentence would not fit (a payout's line).
PAYOUT_NAMES = {
    "BALANCED": N_("balanced over time"),
    "IMMEDIATE": N_("by the latest period"),
    "RECENT": N_("recent work first"),
    "BUCKETS": N_("expenses first"),
}


def payout_name(policy: str) -> str:
    """A payout policy in a few words (the name itself for one this node does not know)."""
    return gettext(PAYOUT_NAMES[policy]) if policy in PAYOUT_NAMES else policy


def payout_sentence(policy: str) -> str:
    """How a payout policy splits money coming in, in a sentence."""
    return gettext(PAYOUTS[policy]) if policy in PAYOUTS else policy
