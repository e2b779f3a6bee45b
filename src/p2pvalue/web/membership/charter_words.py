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

BLANK = "blank"
TEMPLATE_NAMES = {
    "open_source": "Open-source project",
    "cooperative": "Cooperative",
    "maker_network": "Maker network",
    BLANK: "Blank: start simple, change it later",
}
TEMPLATE_SUMMARIES = {
    "open_source": "Committers decide; a reasoned objection stops a change.",
    "cooperative": "One member, one vote; decisions by consent.",
    "maker_network": "Anyone may join; votes weigh by what each has contributed.",
    BLANK: "Members post and claim work; decisions by simple majority.",
}
MEMBERSHIP = {
    "open": "Anyone with an account may join.",
    "approval": "People ask to join, with a message; a member who may admit says yes or no.",
    "invite": "People join only when a member invites them.",
}
RIGHTS = {
    "member.invite": "invite people",
    "member.admit": "admit or decline people who ask to join",
    "member.remove": "remove members",
    "post.create": "post to the space",
    "contribution.claim": "log their contributions",
    "contribution.review": "review others' contributions",
    "contribution.endorse": "endorse contributions",
    "alias.confirm": "confirm which other accounts are whose",
    "bounty.pay": "pay bounties",
    "role.grant": "give roles",
    "role.revoke": "take roles away",
}
COLLAB_WORDS = "run projects, tasks, discussions and shared documents"
KIND_NAMES = {
    "default": "Any other decision",
    "charter": "Changing these rules",
    "membership": "Admitting or removing members by vote",
    "election": "Elections",
    "budget": "Spending the budget",
    "value": "Changing how contributions are valued",
    "roles": "Giving or taking roles",
    "treasury": "Spending from the treasury",
}
PAYOUTS = {
    "BALANCED": "Money coming in is split so that, over time, each member is paid in "
    "proportion to all the value they have contributed (those paid less so far catch up).",
    "IMMEDIATE": "Money coming in is split by the value contributed in the latest period.",
    "RECENT": "Money coming in is split by value contributed, recent work counting more.",
    "BUCKETS": "Money coming in first pays back what members spent, then is split by value.",
}
Section = tuple[str, list[str]]


def template_charter(name: str, membership: str = "open") -> dict[str, Any]:
    """The charter content of a template (`blank`: the default charter, with `membership`)."""
    return default_charter(membership) if name == BLANK else template(name)


def templates() -> list[str]:
    return [*TEMPLATES, BLANK]


def charter_words(content: Mapping[str, Any]) -> list[Section]:
    """The charter, section by section, in sentences."""
    charter = charter_from_content(content)
    return [
        ("Who can join", _joining(charter)),
        (
            "Who can do what",
            [_role(role, rights) for role, rights in sorted(charter.roles.items())],
        ),
        ("How decisions are made", _decisions(charter)),
        ("Contributions and payouts", _value(charter)),
    ]


def _roles_words(charter: Charter) -> list[str]:
    return [_role(role, allowed) for role, allowed in sorted(charter.roles.items())]


def _roles(names: frozenset[str]) -> str:
    return " and ".join(sorted(names)) or "no role"


def _joining(charter: Charter) -> list[str]:
    return [
        MEMBERSHIP[charter.membership],
        f"Whoever starts the space holds the roles {_roles(charter.founder_roles)}; "
        f"a new member holds {_roles(charter.member_roles)}.",
    ]


def _role(name: str, rights: frozenset[str]) -> str:
    title = name.capitalize() + ("s" if not name.endswith("s") else "")
    if "*" in rights:
        return f"{title} may do anything."
    said = [words for right, words in RIGHTS.items() if right in rights]
    if rights & set(COLLABORATING):
        said.append(COLLAB_WORDS)
    if not said:
        return f"{title} hold no special rights."
    listed = ", ".join(said[:-1]) + (" and " if len(said) > 1 else "") + said[-1]
    return f"{title} may {listed}."


def _decisions(charter: Charter) -> list[str]:
    policies = decisions_of(charter)
    if not policies:
        return ["Nothing can be put to a vote."]
    lines = []
    for kind, policy in sorted(policies.items(), key=lambda item: item[0] == "default"):
        name = KIND_NAMES.get(kind, kind.replace("_", " ").capitalize())
        lines.append(f"{name}: " + " ".join(policy_words(policy)))
    return lines


def _value(charter: Charter) -> list[str]:
    value = value_policy(charter)
    if value is None:
        return ["This space keeps no account of contributions."]
    approvals = value.acceptance.approvals
    by = f" holding the role {value.acceptance.role}" if value.acceptance.role else ""
    people = "member" if approvals == 1 else "members"
    lines = [
        f"A contribution counts once {approvals} other {people}{by} approve it.",
        "Kinds of contribution: " + ", ".join(value.kinds) + ".",
        "Each kind is valued by the "
        + ("space's own value equation." if value.equation else "default value equation."),
        PAYOUTS[value.payout_policy],
    ]
    return lines
