"""Governance's event types and its section of the charter, as the catalog takes them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import Field

from p2pvalue.errors import EventError
from p2pvalue.events.types import RANK_GOVERNANCE, ROLE_PATTERN, CharterSection, EventType
from p2pvalue.governance.types import (
    EVERYONE,
    DecisionPolicy,
    DelegationRevoke,
    DelegationSet,
    FollowUpAdd,
    FollowUpUpdate,
    OutcomeStatement,
    ProposalClose,
    ProposalCreate,
    ProposalOpen,
    ProposalRef,
    VoteCast,
    VoteCommit,
    VoteReveal,
    basis_problem,
    check_proposal,
)

KIND_NAME = re.compile(ROLE_PATTERN)


def check_decisions(
    decisions: Mapping[str, DecisionPolicy], roles: Mapping[str, frozenset[str]]
) -> None:
    """Every role a policy names exists, every policy's threshold basis and early close suit
    its method and ballot (`basis_not_used`, `all_voted_needs_open_ballots`), and if the
    charter has decision policies at all, one of them governs amending the charter itself
    (else no one could ever amend it)."""
    for kind, policy in decisions.items():
        if not KIND_NAME.match(kind):
            raise EventError("invalid_charter", f"decision kind {kind!r} is not [a-z][a-z0-9_-]*")
        for who in (policy.voters, policy.proposers):
            if who != EVERYONE and who not in roles:
                problem = f"decisions.{kind} names undefined role {who!r}"
                raise EventError("invalid_charter", problem)
        unused = basis_problem(policy)
        if unused is not None:
            code, detail = unused.split(":", 1)
            raise EventError(code, f"decisions.{kind}: {detail}")
    if decisions and "charter" not in decisions and "default" not in decisions:
        raise EventError("invalid_charter", "no decision policy governs amending the charter")


TYPES = (
    EventType("proposal.create", RANK_GOVERNANCE, ProposalCreate, check_proposal),
    EventType("proposal.open", RANK_GOVERNANCE, ProposalOpen),
    EventType("proposal.withdraw", RANK_GOVERNANCE, ProposalRef),
    EventType("proposal.close", RANK_GOVERNANCE, ProposalClose),
    EventType("vote.cast", RANK_GOVERNANCE, VoteCast),
    EventType("vote.commit", RANK_GOVERNANCE, VoteCommit),
    EventType("vote.reveal", RANK_GOVERNANCE, VoteReveal),
    EventType("delegation.set", RANK_GOVERNANCE, DelegationSet),
    EventType("delegation.revoke", RANK_GOVERNANCE, DelegationRevoke),
    # After the close (governance.outcomes): what was decided, and its follow-up.
    EventType("proposal.outcome", RANK_GOVERNANCE, OutcomeStatement),
    EventType("followup.add", RANK_GOVERNANCE, FollowUpAdd),
    EventType("followup.update", RANK_GOVERNANCE, FollowUpUpdate),
)
SECTIONS = (
    CharterSection(
        "decisions",
        dict[str, DecisionPolicy],
        Field(default_factory=dict, max_length=32),
        check_decisions,
    ),
)
