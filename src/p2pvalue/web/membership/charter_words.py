"""A charter in sentences a co-op member understands: who may join, who may do what, how
each kind of decision is made, how contributions count and how money is paid out. The
page for starting a space shows each template's charter this way before it is chosen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from p2pvalue.accounting.types import value_policy
from p2pvalue.collab.types import COLLABORATING
from p2pvalue.events.charter import Charter, charter_from_content
from p2pvalue.governance.templates import TEMPLATES, default_charter, template
from p2pvalue.governance.types import decisions_of
from p2pvalue.web.governance.words import policy_words
from p2pvalue.web.i18n import N_, gettext, ngettext
from p2pvalue.web.payout_words import PAYOUTS

BLANK = "blank"
TEMPLATE_NAMES = {
    "open_source": N_("Open-source project"),
    "cooperative": N_("Cooperative"),
    "maker_network": N_("Maker network"),
    BLANK: N_("Blank: start simple, change it later"),
}
TEMPLATE_SUMMARIES = {
    "open_source": N_("Committers decide; a reasoned objection stops a change."),
    "cooperative": N_("One member, one vote; decisions by consent."),
    "maker_network": N_("Anyone may join; votes weigh by what each has contributed."),
    BLANK: N_("Members post and claim work; decisions by simple majority."),
}
MEMBERSHIP = {
    "open": N_("Anyone with an account may join."),
    "approval": N_("People ask to join, with a message; a member who may admit says yes or no."),
    "invite": N_("People join only when a member invites them."),
}
RIGHTS = {
    "member.invite": N_("invite people"),
    "member.admit": N_("admit or decline people who ask to join"),
    "member.remove": N_("remove members"),
    "post.create": N_("post to the space"),
    "contribution.claim": N_("log their contributions"),
    "contribution.review": N_("review others' contributions"),
    "contribution.endorse": N_("endorse contributions"),
    "alias.confirm": N_("confirm which other accounts are whose"),
    "bounty.pay": N_("pay bounties"),
    "role.grant": N_("give roles"),
    "role.revoke": N_("take roles away"),
}
COLLAB_WORDS = N_("run projects, tasks, discussions and shared documents")
KIND_NAMES = {
    "default": N_("Any other decision"),
    "charter": N_("Changing these rules"),
    "membership": N_("Admitting or removing members by vote"),
    "election": N_("Elections"),
    "budget": N_("Spending the budget"),
    "value": N_("Changing how contributions are valued"),
    "roles": N_("Giving or taking roles"),
    "treasury": N_("Spending from the treasury"),
}
Section = tuple[str, list[str]]


def template_charter(name: str, membership: str = "open") -> dict[str, Any]:
    """The charter content of a template (`blank`: the default charter, with `membership`)."""
    return default_charter(membership) if name == BLANK else template(name)


def templates() -> list[str]:
    return [*TEMPLATES, BLANK]


def template_names() -> dict[str, str]:
    """Each template's name, in the reader's language."""
    return {template: gettext(name) for template, name in TEMPLATE_NAMES.items()}


def template_summaries() -> dict[str, str]:
    """Each template's summary, in the reader's language."""
    return {template: gettext(summary) for template, summary in TEMPLATE_SUMMARIES.items()}


def charter_words(content: Mapping[str, Any]) -> list[Section]:
    """The charter, section by section, in sentences."""
    charter = charter_from_content(content)
    return [
        (gettext("Who can join"), _joining(charter)),
        (gettext("Who can do what"), _roles_words(charter)),
        (gettext("How decisions are made"), _decisions(charter)),
        (gettext("Contributions and payouts"), _value(charter)),
    ]


def _roles_words(charter: Charter) -> list[str]:
    return [_role(role, allowed) for role, allowed in sorted(charter.roles.items())]


def _roles(names: frozenset[str]) -> str:
    if not names:
        return gettext("no role")
    ordered = sorted(names)
    if len(ordered) == 1:
        return ordered[0]
    return gettext("%(some)s and %(last)s", some=", ".join(ordered[:-1]), last=ordered[-1])


def _joining(charter: Charter) -> list[str]:
    return [
        gettext(MEMBERSHIP[charter.membership]),
        gettext("Whoever starts the space holds the roles %(founders)s; a new member holds "
                "%(members)s.", founders=_roles(charter.founder_roles),
                members=_roles(charter.member_roles)),
    ]  # fmt: skip


def _role(name: str, rights: frozenset[str]) -> str:
    title = name.capitalize() + ("s" if not name.endswith("s") else "")
    if "*" in rights:
        return gettext("%(role)s may do anything.", role=title)
    said = [gettext(words) for right, words in RIGHTS.items() if right in rights]
    if rights & set(COLLABORATING):
        said.append(gettext(COLLAB_WORDS))
    if not said:
        return gettext("%(role)s hold no special rights.", role=title)
    if len(said) == 1:
        return gettext("%(role)s may %(rights)s.", role=title, rights=said[0])
    listed = gettext("%(some)s and %(last)s", some=", ".join(said[:-1]), last=said[-1])
    return gettext("%(role)s may %(rights)s.", role=title, rights=listed)


def _decisions(charter: Charter) -> list[str]:
    policies = decisions_of(charter)
    if not policies:
        return [gettext("Nothing can be put to a vote.")]
    lines = []
    for kind, policy in sorted(policies.items(), key=lambda item: item[0] == "default"):
        known = KIND_NAMES.get(kind)
        name = gettext(known) if known else kind.replace("_", " ").capitalize()
        rules = " ".join(policy_words(policy))
        lines.append(gettext("%(kind)s: %(rules)s", kind=name, rules=rules))
    return lines


def _value(charter: Charter) -> list[str]:
    value = value_policy(charter)
    if value is None:
        return [gettext("This space keeps no account of contributions.")]
    approvals, role = value.acceptance.approvals, value.acceptance.role
    if role:
        counts = ngettext(
            "A contribution counts once %(num)d other member holding the role "
            "%(role)s approves it.",
            "A contribution counts once %(num)d other "
            "members holding the role %(role)s approve it.",
            approvals,
            role=role,
        )
    else:
        counts = ngettext(
            "A contribution counts once %(num)d other member approves it.",
            "A contribution counts once %(num)d other members approve it.",
            approvals,
        )
    valued = (
        gettext("Each kind is valued by the space's own value equation.")
        if value.equation
        else gettext("Each kind is valued by the default value equation.")
    )
    return [
        counts,
        gettext("Kinds of contribution: %(kinds)s.", kinds=", ".join(value.kinds)),
        valued,
        gettext(PAYOUTS[value.payout_policy]),
    ]  # fmt: skip
