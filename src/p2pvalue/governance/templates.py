"""Starting charters for new spaces, one per kind of community; a founder adjusts them.

* ``open_source``: an Apache-style project. Committers decide by lazy consensus with vetoes
  (a reasoned -1 stops a change); the charter changes by two-thirds of committers over two
  weeks, as PEP 13 asks.
* ``cooperative``: one member one vote, decisions by consent with a review date; the
  charter changes by two-thirds with half the members taking part.
* ``maker_network``: decisions by majority weighted by contribution (reputation), capped so
  no member holds more than a quarter of the weight; open membership.
"""

from __future__ import annotations

from typing import Any

from p2pvalue.accounting.types import DEFAULT_KINDS
from p2pvalue.collab.types import COLLABORATING
from p2pvalue.errors import EventError

MEMBERSHIP_POLICIES = ("open", "approval", "invite")

CONTRIBUTING = [
    "contribution.claim", "contribution.review", "contribution.close", "contribution.endorse",
    "alias.claim", *COLLABORATING,
]  # fmt: skip
TWO_WEEKS = 14 * 24
ONE_WEEK = 7 * 24


def default_charter(membership: str = "open") -> dict[str, Any]:
    """A sensible starting charter: admins may do anything; members post, invite, claim and
    review contributions, and run projects, tasks and threads; a claim is accepted with one
    approval; payouts are BALANCED; proposals pass by simple majority in a week (early once
    decided), and the charter changes by two-thirds over two weeks."""
    if membership not in MEMBERSHIP_POLICIES:
        raise EventError("invalid_charter", f"membership is one of {MEMBERSHIP_POLICIES}")
    contributing = [
        "contribution.claim",
        "contribution.review",
        "contribution.close",
        "contribution.endorse",
        "alias.claim",
        "bounty.pay",
        "affiliation.declare",
    ]
    return {
        "membership": membership,
        "roles": {
            "admin": ["*"],
            "moderator": [
                "member.admit",
                "member.invite",
                "member.remove",
                "post.create",
                "alias.confirm",
            ],
            "member": ["post.create", "member.invite", *contributing, *COLLABORATING],
        },
        "founder_roles": ["admin", "member"],
        "member_roles": ["member"],
        "value": {
            "kinds": list(DEFAULT_KINDS),
            "acceptance": {"approvals": 1},
            "payout_policy": "BALANCED",
        },
        "decisions": {
            "default": {"method": "majority", "window_hours": 168, "early_close": True},
            "charter": {"method": "majority", "threshold": "2/3", "window_hours": 336},
        },
    }


def _value(approvals: int, role: str | None = None) -> dict[str, Any]:
    acceptance: dict[str, Any] = {"approvals": approvals}
    if role:
        acceptance["role"] = role
    return {"kinds": list(DEFAULT_KINDS), "acceptance": acceptance, "payout_policy": "BALANCED"}


def open_source() -> dict[str, Any]:
    lazy = {
        "method": "lazy_consensus",
        "voters": "committer",
        "proposers": "member",
        "window_hours": 72,
        "tie_break": "status_quo",
    }
    return {
        "membership": "approval",
        "roles": {
            "admin": ["*"],
            "committer": [
                "member.admit",
                "member.invite",
                "alias.confirm",
                "post.create",
                *CONTRIBUTING,
            ],
            "member": ["post.create", *CONTRIBUTING],
        },
        "founder_roles": ["admin", "committer", "member"],
        "member_roles": ["member"],
        "value": _value(1, "committer"),
        "decisions": {
            "default": lazy,
            "charter": {
                "method": "majority",
                "voters": "committer",
                "proposers": "committer",
                "threshold": "2/3",
                "quorum": "1/3",
                "window_hours": TWO_WEEKS,
            },
            "election": {
                "method": "stv",
                "voters": "committer",
                "seats": 3,
                "window_hours": ONE_WEEK,
                "tie_break": "seeded",
            },
        },
    }


def cooperative() -> dict[str, Any]:
    return {
        "membership": "approval",
        "roles": {
            "admin": ["*"],
            "member": ["post.create", "member.invite", *CONTRIBUTING],
        },
        "founder_roles": ["admin", "member"],
        "member_roles": ["member"],
        "value": _value(2),
        "decisions": {
            "default": {"method": "consent", "window_hours": ONE_WEEK, "review_days": 180},
            "membership": {"method": "consent", "window_hours": ONE_WEEK},
            "charter": {
                "method": "majority",
                "threshold": "2/3",
                "quorum": "1/2",
                "window_hours": TWO_WEEKS,
            },
            "budget": {
                "method": "equal_shares",
                "budget": 1_000_000,
                "window_hours": TWO_WEEKS,
                "tie_break": "seeded",
            },
        },
    }


def maker_network() -> dict[str, Any]:
    weighted = {
        "method": "majority",
        "weight": "reputation",
        "weight_cap": "1/4",
        "quorum": "1/5",
        "window_hours": ONE_WEEK,
        "early_close": True,
    }
    return {
        "membership": "open",
        "roles": {
            "admin": ["*"],
            "moderator": ["member.remove", "post.create", "alias.confirm"],
            "member": ["post.create", "member.invite", *CONTRIBUTING],
        },
        "founder_roles": ["admin", "member"],
        "member_roles": ["member"],
        "value": _value(1),
        "decisions": {
            "default": weighted,
            "charter": {
                **weighted,
                "threshold": "2/3",
                "window_hours": TWO_WEEKS,
                "early_close": False,
            },
        },
    }


TEMPLATES = {
    "open_source": open_source,
    "cooperative": cooperative,
    "maker_network": maker_network,
}


def template(name: str) -> dict[str, Any]:
    """The charter content of the template called `name`."""
    found = TEMPLATES.get(name)
    if found is None:
        raise EventError("unknown_template", f"templates are {', '.join(TEMPLATES)}")
    return found()
