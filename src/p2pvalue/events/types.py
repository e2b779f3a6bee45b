"""The event types a node knows, the shape of their content, and their ordering rank.

Rank decides order among concurrent events (see `order.py`): revocations first, then the
rest of governance and membership, then ordinary activity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from p2pvalue.accounting.types import (
    AliasClaim,
    AliasConfirm,
    BountyPay,
    ContributionClaim,
    ContributionClose,
    ContributionEndorse,
    ContributionReview,
    IncomeRecord,
    PayoutRun,
    ValuePolicy,
    check_bounty_pay,
    check_claim,
    check_income,
    check_payout,
    check_review,
)
from p2pvalue.collab.types import (
    DocCreate,
    DocSnapshot,
    ProjectCreate,
    ProjectUpdate,
    TaskAssign,
    TaskCreate,
    TaskDrop,
    TaskRef,
    TaskSubmit,
    ThreadCreate,
    ThreadEdit,
    ThreadReact,
    ThreadReply,
    check_doc_snapshot,
    check_project_create,
    check_project_update,
    check_task_assign,
    check_task_create,
    check_thread_create,
)
from p2pvalue.errors import EventError
from p2pvalue.governance.types import (
    DecisionPolicy,
    DelegationRevoke,
    DelegationSet,
    ProposalClose,
    ProposalCreate,
    ProposalOpen,
    ProposalRef,
    VoteCast,
    VoteCommit,
    VoteReveal,
    check_proposal,
)

DID_PATTERN = r"^did:key:z[1-9A-HJ-NP-Za-km-z]+$"
EVENT_ID_PATTERN = r"^[A-Za-z0-9_-]{43}$"
ROLE_PATTERN = r"^[a-z][a-z0-9_-]*$"
TICK_SIZE = 500  # ids one clock.tick witnesses

RANK_REVOCATION = 0
RANK_GOVERNANCE = 1
RANK_ORDINARY = 2


class Content(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CharterContent(Content):
    membership: Literal["open", "approval", "invite"]
    roles: dict[str, list[str]] = Field(max_length=64)
    founder_roles: list[str] = Field(min_length=1, max_length=16)
    member_roles: list[str] = Field(max_length=16)
    value: ValuePolicy | None = None
    decisions: dict[str, DecisionPolicy] = Field(default_factory=dict, max_length=32)
    # Whose clock windows are measured by (see docs/security.md); absent: the founder.
    timekeepers: list[Annotated[str, Field(max_length=80, pattern=DID_PATTERN)]] | None = Field(
        default=None, min_length=1, max_length=8
    )


class SpaceCreate(Content):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    charter: CharterContent


class MemberJoin(Content):
    invite: str | None = Field(default=None, pattern=EVENT_ID_PATTERN)


class MemberRequest(Content):
    note: str = Field(default="", max_length=2000)


class MemberTarget(Content):
    member: str = Field(max_length=80, pattern=DID_PATTERN)


class MemberRemove(Content):
    member: str = Field(max_length=80, pattern=DID_PATTERN)
    reason: str = Field(default="", max_length=2000)


class MemberLeave(Content):
    pass


class RoleChange(Content):
    member: str = Field(max_length=80, pattern=DID_PATTERN)
    role: str = Field(max_length=40, pattern=ROLE_PATTERN)


class MemberHome(Content):
    """The node a member lives on: where the space's other nodes reach them, and what a
    member who moves with their key announces again from their new node."""

    node: str = Field(max_length=80, pattern=DID_PATTERN)
    url: str = Field(max_length=200, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


class ContentErase(Content):
    """The author's request that the content of some of their events be erased."""

    events: list[Annotated[str, Field(pattern=EVENT_ID_PATTERN)]] = Field(
        min_length=1, max_length=100
    )


class ClockTick(Content):
    """A timekeeper's word that it held these proposals and claims at the event's `ts`: the
    time their windows are measured from, which their authors cannot choose."""

    events: list[Annotated[str, Field(pattern=EVENT_ID_PATTERN)]] = Field(
        min_length=1, max_length=TICK_SIZE
    )


def check_tick(tick: ClockTick) -> None:
    if len(set(tick.events)) != len(tick.events):
        raise EventError("invalid_content", "events: an event is listed twice")


B64U_PATTERN = r"^[A-Za-z0-9_-]+$"


class SpaceKey(Content):
    """A private space's key wrapped for members and invitees: a new key (a rotation) when
    `previous` seals the older keys under it, else the key in use shared with newcomers."""

    space_key: str = Field(pattern=r"^[A-Za-z0-9_-]{22}$")
    wraps: dict[
        Annotated[str, Field(max_length=80, pattern=DID_PATTERN)],
        Annotated[str, Field(max_length=200, pattern=B64U_PATTERN)],
    ] = Field(min_length=1, max_length=300)
    previous: str | None = Field(default=None, max_length=40_000, pattern=B64U_PATTERN)


class PostCreate(Content):
    text: str = Field(min_length=1, max_length=20000)


# The types whose content its author may have erased: personal text that no authority,
# accounting figure or other member's record depends on.
ERASABLE_TYPES = frozenset({"post.create", "thread.create", "thread.reply", "thread.edit",
                            "thread.react"})  # fmt: skip


def check_erase(erase: ContentErase) -> None:
    if len(set(erase.events)) != len(erase.events):
        raise EventError("invalid_content", "events: an event is listed twice")


@dataclass(frozen=True)
class EventType:
    name: str
    rank: int
    content: type[BaseModel]
    check: Callable[[Any], None] | None = None


EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType("space.create", RANK_GOVERNANCE, SpaceCreate),
        EventType("member.join", RANK_GOVERNANCE, MemberJoin),
        EventType("member.request", RANK_GOVERNANCE, MemberRequest),
        EventType("member.admit", RANK_GOVERNANCE, MemberTarget),
        EventType("member.invite", RANK_GOVERNANCE, MemberTarget),
        EventType("member.leave", RANK_GOVERNANCE, MemberLeave),
        EventType("member.home", RANK_ORDINARY, MemberHome),
        EventType("space.key", RANK_GOVERNANCE, SpaceKey),
        EventType("content.erase", RANK_ORDINARY, ContentErase, check_erase),
        EventType("member.remove", RANK_REVOCATION, MemberRemove),
        EventType("role.grant", RANK_GOVERNANCE, RoleChange),
        EventType("role.revoke", RANK_REVOCATION, RoleChange),
        EventType("proposal.create", RANK_GOVERNANCE, ProposalCreate, check_proposal),
        EventType("proposal.open", RANK_GOVERNANCE, ProposalOpen),
        EventType("proposal.withdraw", RANK_GOVERNANCE, ProposalRef),
        EventType("proposal.close", RANK_GOVERNANCE, ProposalClose),
        EventType("clock.tick", RANK_GOVERNANCE, ClockTick, check_tick),
        EventType("vote.cast", RANK_GOVERNANCE, VoteCast),
        EventType("vote.commit", RANK_GOVERNANCE, VoteCommit),
        EventType("vote.reveal", RANK_GOVERNANCE, VoteReveal),
        EventType("delegation.set", RANK_GOVERNANCE, DelegationSet),
        EventType("delegation.revoke", RANK_GOVERNANCE, DelegationRevoke),
        EventType("post.create", RANK_ORDINARY, PostCreate),
        EventType("contribution.claim", RANK_ORDINARY, ContributionClaim, check_claim),
        EventType("contribution.review", RANK_ORDINARY, ContributionReview, check_review),
        EventType("contribution.close", RANK_ORDINARY, ContributionClose),
        EventType("contribution.endorse", RANK_ORDINARY, ContributionEndorse),
        EventType("income.record", RANK_ORDINARY, IncomeRecord, check_income),
        EventType("payout.run", RANK_ORDINARY, PayoutRun, check_payout),
        EventType("bounty.pay", RANK_ORDINARY, BountyPay, check_bounty_pay),
        EventType("alias.claim", RANK_ORDINARY, AliasClaim),
        EventType("alias.confirm", RANK_ORDINARY, AliasConfirm),
        EventType("project.create", RANK_ORDINARY, ProjectCreate, check_project_create),
        EventType("project.update", RANK_ORDINARY, ProjectUpdate, check_project_update),
        EventType("task.create", RANK_ORDINARY, TaskCreate, check_task_create),
        EventType("task.claim", RANK_ORDINARY, TaskRef),
        EventType("task.assign", RANK_ORDINARY, TaskAssign, check_task_assign),
        EventType("task.submit", RANK_ORDINARY, TaskSubmit),
        EventType("task.done", RANK_ORDINARY, TaskRef),
        EventType("task.drop", RANK_ORDINARY, TaskDrop),
        EventType("task.reopen", RANK_ORDINARY, TaskRef),
        EventType("thread.create", RANK_ORDINARY, ThreadCreate, check_thread_create),
        EventType("thread.reply", RANK_ORDINARY, ThreadReply),
        EventType("thread.edit", RANK_ORDINARY, ThreadEdit),
        EventType("thread.react", RANK_ORDINARY, ThreadReact),
        EventType("doc.create", RANK_ORDINARY, DocCreate),
        EventType("doc.snapshot", RANK_ORDINARY, DocSnapshot, check_doc_snapshot),
    )
}


def event_type(name: str) -> EventType:
    """The registered type called `name`, or an `unknown_event_type` refusal."""
    found = EVENT_TYPES.get(name)
    if found is None:
        raise EventError("unknown_event_type", f"no event type {name!r} is known to this node")
    return found


def parse_content(type_name: str, content: Mapping[str, Any]) -> BaseModel:
    """Validate `content` against its type's schema and checks; the refusal names the fault."""
    kind = event_type(type_name)
    try:
        parsed = kind.content.model_validate(content)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "content"
        raise EventError("invalid_content", f"{where}: {first['msg']}") from None
    if kind.check is not None:
        kind.check(parsed)
    return parsed


def rank(type_name: str) -> int:
    """Ordering rank of a type; unknown types (never stored) would rank as ordinary."""
    found = EVENT_TYPES.get(type_name)
    return found.rank if found else RANK_ORDINARY
