"""The value domain's event types and its section of the charter, as the catalog takes them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import Field

from p2pvalue.accounting.equation import charter_equation
from p2pvalue.accounting.types import (
    KIND_PATTERN,
    AliasClaim,
    AliasConfirm,
    BountyPay,
    ContributionClaim,
    ContributionClose,
    ContributionEndorse,
    ContributionImport,
    ContributionReview,
    ImportedReview,
    IncomeRecord,
    PayoutRun,
    ValuePolicy,
    check_bounty_pay,
    check_claim,
    check_import,
    check_income,
    check_payout,
    check_review,
)
from p2pvalue.errors import EventError
from p2pvalue.events.types import RANK_ORDINARY, CharterSection, EventType

KIND_NAME = re.compile(KIND_PATTERN)


def check_value_policy(policy: ValuePolicy | None, roles: Mapping[str, frozenset[str]]) -> None:
    """Kinds distinct and well named, the roles it names defined, and an equation that can
    value every kind: the equation is part of the charter, so a bad one is refused here."""
    if policy is None:
        return
    if len(set(policy.kinds)) != len(policy.kinds) or not all(
        KIND_NAME.match(kind) for kind in policy.kinds
    ):
        raise EventError("invalid_charter", "value.kinds are distinct [a-z][a-z0-9_]* names")
    role = policy.acceptance.role
    if role is not None and role not in roles:
        raise EventError("invalid_charter", f"value.acceptance.role {role!r} is not defined")
    disputes = getattr(policy.disputes, "role", None)
    if disputes is not None and disputes not in roles:
        raise EventError("invalid_charter", f"value.disputes.role {disputes!r} is not defined")
    charter_equation(policy.kinds, policy.equation)


TYPES = (
    EventType("contribution.claim", RANK_ORDINARY, ContributionClaim, check_claim),
    EventType("contribution.import", RANK_ORDINARY, ContributionImport, check_import),
    EventType("contribution.review", RANK_ORDINARY, ContributionReview, check_review),
    EventType("contribution.import_review", RANK_ORDINARY, ImportedReview),
    EventType("contribution.close", RANK_ORDINARY, ContributionClose),
    EventType("contribution.endorse", RANK_ORDINARY, ContributionEndorse),
    EventType("income.record", RANK_ORDINARY, IncomeRecord, check_income),
    EventType("payout.run", RANK_ORDINARY, PayoutRun, check_payout),
    EventType("bounty.pay", RANK_ORDINARY, BountyPay, check_bounty_pay),
    EventType("alias.claim", RANK_ORDINARY, AliasClaim),
    EventType("alias.confirm", RANK_ORDINARY, AliasConfirm),
)
SECTIONS = (CharterSection("value", ValuePolicy | None, Field(default=None), check_value_policy),)
