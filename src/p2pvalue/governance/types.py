"""The shapes of governance events: decision policies, proposals, ballots and delegations.

Shapes and checks that need nothing but the event itself live here; what depends on the
space's state (is the proposal open, is the voter eligible) is judged by
`governance.proposals` against the authority of the event's causal past.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from p2pvalue.errors import EventError
from p2pvalue.events.charter import Charter
from p2pvalue.governance.methods.base import BINARY_METHODS, METHODS, TIE_BREAKS

DID_PATTERN = r"^did:key:z[1-9A-HJ-NP-Za-km-z]+$"
EVENT_ID_PATTERN = r"^[A-Za-z0-9_-]{43}$"
KIND_PATTERN = r"^[a-z][a-z0-9_-]*$"
FRACTION_PATTERN = r"^(0|1|[1-9][0-9]{0,5}/[1-9][0-9]{0,5})$"
EVERYONE = "member"  # `voters` / `proposers` naming every member rather than a role
MAX_WINDOW_HOURS = 24 * 366
WEIGHT_SCALE = 1_000_000  # reputation weights are frozen as parts per million
ACTION_KINDS = {
    "charter.amend": "charter",
    "value.equation": "value",
    "role.grant": "roles",
    "role.revoke": "roles",
    "member.admit": "membership",
    "member.remove": "membership",
    "treasury.spend": "treasury",
    "contribution.resolve": "value",
    "election": "election",
}
ACTIONS = (*ACTION_KINDS, "text")


def fraction(text: str) -> Fraction:
    """A policy's fraction ("2/3", "0", "1") as an exact `Fraction`."""
    return Fraction(text)


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DecisionPolicy(_Content):
    """How one kind of decision is taken: who proposes, who votes, by which method, when
    it passes (quorum, strict threshold, veto), how long it runs and how ties break.

    `threshold_of` says what the threshold is a share of: the weight that took a side
    (`cast`, the default, also when unset) or all the eligible weight (`eligible`: "more
    than 3/4 of the members agree"). `close_when_all_voted` lets any member close once
    every eligible voter has cast a ballot of their own. `remind_before_hours` is how long
    before the window ends a member who has not voted is reminded (a day when unset, never
    longer than the window; 0 for no reminder). All three are None when unset, so a charter
    written before they existed keeps exactly its content.
    """

    method: Literal[METHODS]  # type: ignore[valid-type]
    voters: str = Field(default=EVERYONE, max_length=40, pattern=KIND_PATTERN)
    proposers: str = Field(default=EVERYONE, max_length=40, pattern=KIND_PATTERN)
    weight: Literal["equal", "reputation"] = "equal"
    weight_cap: str | None = Field(default=None, pattern=FRACTION_PATTERN)
    quorum: str = Field(default="0", pattern=FRACTION_PATTERN)
    threshold: str = Field(default="1/2", pattern=FRACTION_PATTERN)
    threshold_of: Literal["cast", "eligible"] | None = None
    window_hours: int = Field(default=168, ge=1, le=MAX_WINDOW_HOURS)
    remind_before_hours: int | None = Field(default=None, ge=0, le=MAX_WINDOW_HOURS)
    veto: bool = False
    veto_override: str | None = Field(default=None, pattern=FRACTION_PATTERN)
    early_close: bool = False
    close_when_all_voted: bool | None = None
    secret: bool = False
    reveal_hours: int = Field(default=24, ge=1, le=24 * 30)
    review_days: int | None = Field(default=None, ge=1, le=3660)
    delegation: bool = True
    seats: int = Field(default=1, ge=1, le=100)
    budget: int | None = Field(default=None, ge=1)
    credits: int | None = Field(default=None, ge=1, le=1_000_000)
    max_approvals: int | None = Field(default=None, ge=1, le=1000)
    score_max: int = Field(default=5, ge=1, le=100)
    dots: int | None = Field(default=None, ge=1, le=1000)
    tie_break: Literal[TIE_BREAKS] = "status_quo"  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _complete(self) -> DecisionPolicy:
        needs = {"dot": ("dots", "budget"), "equal_shares": ("budget",), "quadratic": ("credits",)}
        missing = [name for name in needs.get(self.method, ()) if getattr(self, name) is None]
        if missing:
            raise ValueError(f"method {self.method} needs {', '.join(missing)}")
        for name in ("quorum", "threshold", "weight_cap", "veto_override"):
            value = getattr(self, name)
            if value is not None and not 0 <= fraction(value) <= 1:
                raise ValueError(f"{name} is a fraction between 0 and 1")
        return self


def threshold_basis(policy: DecisionPolicy) -> str:
    """What the policy's threshold is a share of: `cast` (sided votes) or `eligible`."""
    return policy.threshold_of or "cast"


def basis_problem(policy: DecisionPolicy) -> str | None:
    """The refusal (code:detail) of a policy that sets a threshold basis or an early close
    its method or ballot cannot use, or None: only majority has a threshold to count of
    the eligible weight, and a secret ballot is not known until it is revealed, after the
    window, so it cannot close the window early."""
    if threshold_basis(policy) == "eligible" and policy.method != "majority":
        return f"basis_not_used:{policy.method} has no threshold to count of eligible weight"
    if policy.close_when_all_voted and policy.secret:
        return "all_voted_needs_open_ballots:secret ballots are revealed only after the window"
    return None


def decisions_of(charter: Charter) -> Mapping[str, DecisionPolicy]:
    """A charter's decision section: the policy of each kind of decision."""
    decisions: Mapping[str, DecisionPolicy] = charter.sections.get("decisions", {})
    return decisions


def policy_for(charter: Charter, kind: str) -> DecisionPolicy | None:
    """The decision policy for `kind`, or the `default` one, or None."""
    decisions = decisions_of(charter)
    return decisions.get(kind) or decisions.get("default")


def text_kinds(charter: Charter) -> dict[str, DecisionPolicy]:
    """Every kind a decision in words can be proposed as, with the policy that decides it:
    `text` (the `default` policy unless the charter names one) and each kind the charter
    names that no action fixes; a kind no policy covers is left out."""
    fixed = {*ACTION_KINDS.values(), "default"}
    kinds = ["text", *sorted(set(decisions_of(charter)) - fixed - {"text"})]
    found = {kind: policy_for(charter, kind) for kind in kinds}
    return {kind: policy for kind, policy in found.items() if policy is not None}


def yes_no_kind(charter: Charter) -> str | None:
    """The kind a yes/no decision in words is proposed as by default: `text` when its
    policy is a yes/no method, else the first kind (by name) whose policy is one, else None
    (every decision in words in this charter chooses among options)."""
    binary = [kind for kind, policy in text_kinds(charter).items() if is_binary(policy.method)]
    return binary[0] if binary else None


class Option(_Content):
    id: str = Field(min_length=1, max_length=80)
    label: str = Field(default="", max_length=400)
    cost: int | None = Field(default=None, ge=1)


class ProposalAction(_Content):
    """A machine-applicable action; which fields it needs depends on its `type`."""

    type: Literal[ACTIONS]  # type: ignore[valid-type]
    patch: dict[str, Any] | None = None
    equation: dict[str, Any] | None = None
    member: str | None = Field(default=None, max_length=80, pattern=DID_PATTERN)
    role: str | None = Field(default=None, max_length=40, pattern=KIND_PATTERN)
    amount: int | None = Field(default=None, ge=1)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    to: str | None = Field(default=None, max_length=200)
    claim: str | None = Field(default=None, pattern=EVENT_ID_PATTERN)
    accept: bool | None = None

    @model_validator(mode="after")
    def _fields(self) -> ProposalAction:
        required = {
            "charter.amend": ("patch",),
            "value.equation": ("equation",),
            "role.grant": ("member", "role"),
            "role.revoke": ("member", "role"),
            "member.admit": ("member",),
            "member.remove": ("member",),
            "treasury.spend": ("amount", "currency", "to"),
            "contribution.resolve": ("claim", "accept"),
            "election": ("role",),
            "text": (),
        }[self.type]
        missing = [name for name in required if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.type} action needs {', '.join(missing)}")
        return self


class ProposalCreate(_Content):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=20000)
    kind: str | None = Field(default=None, max_length=40, pattern=KIND_PATTERN)
    action: ProposalAction
    options: list[Option] = Field(default_factory=list, max_length=200)
    draft: bool = False
    weights: dict[str, int] | None = Field(default=None, max_length=10000)

    @field_validator("options")
    @classmethod
    def _distinct(cls, options: list[Option]) -> list[Option]:
        if len({option.id for option in options}) != len(options):
            raise ValueError("option ids are distinct")
        return options


class ProposalOpen(_Content):
    proposal: str = Field(pattern=EVENT_ID_PATTERN)
    weights: dict[str, int] | None = Field(default=None, max_length=10000)


class ProposalRef(_Content):
    proposal: str = Field(pattern=EVENT_ID_PATTERN)


class ProposalClose(_Content):
    """Closes a proposal with its outcome, which every node recounts from the ballots in
    this event's causal past; a close whose outcome differs from the recount is rejected."""

    proposal: str = Field(pattern=EVENT_ID_PATTERN)
    outcome: Literal["passed", "rejected"]
    winners: list[str] = Field(default_factory=list, max_length=200)


class VoteCast(_Content):
    proposal: str = Field(pattern=EVENT_ID_PATTERN)
    ballot: dict[str, Any]


class VoteCommit(_Content):
    """A secret ballot's commitment: sha256 over the canonical {ballot, salt}, base64url;
    `sealed` optionally carries the ballot encrypted for its author's own node to reveal."""

    proposal: str = Field(pattern=EVENT_ID_PATTERN)
    commitment: str = Field(pattern=r"^[A-Za-z0-9_-]{43}$")
    sealed: str | None = Field(default=None, max_length=16000)


class VoteReveal(_Content):
    proposal: str = Field(pattern=EVENT_ID_PATTERN)
    ballot: dict[str, Any]
    salt: str = Field(min_length=16, max_length=100)


class DelegationSet(_Content):
    kind: str = Field(max_length=40, pattern=r"^(\*|[a-z][a-z0-9_-]*)$")
    to: str = Field(max_length=80, pattern=DID_PATTERN)


class DelegationRevoke(_Content):
    kind: str = Field(max_length=40, pattern=r"^(\*|[a-z][a-z0-9_-]*)$")


def check_proposal(content: Any) -> None:
    """Options belong to choice methods; the method itself is checked against the policy
    in force when the proposal is judged."""
    if content.action.type == "election" and not content.options:
        raise EventError("invalid_content", "an election names its candidates as options")


def is_binary(method: str) -> bool:
    return method in BINARY_METHODS


# --- after the close: the outcome statement and follow-ups (see governance.outcomes) --------

MAX_STATEMENT = 8000  # as long as a text Markdown renders in full (collab.markdown)
FOLLOW_UP_STATUSES = ("not_started", "in_progress", "done", "dropped")


class OutcomeStatement(_Content):
    """What was decided and what happens next, in Markdown; a later one replaces it."""

    proposal: str = Field(pattern=EVENT_ID_PATTERN)
    statement: str = Field(min_length=1, max_length=MAX_STATEMENT)


class FollowUpAdd(_Content):
    """A follow-up item of a passed decision in words; it starts not started, at 0 %."""

    proposal: str = Field(pattern=EVENT_ID_PATTERN)
    title: str = Field(min_length=1, max_length=300)
    note: str = Field(default="", max_length=2000)


class FollowUpUpdate(_Content):
    """A follow-up's new status, progress (percent) or note; what it leaves out stays."""

    proposal: str = Field(pattern=EVENT_ID_PATTERN)
    followup: str = Field(pattern=EVENT_ID_PATTERN)
    status: Literal[FOLLOW_UP_STATUSES] | None = None  # type: ignore[valid-type]
    progress: int | None = Field(default=None, ge=0, le=100)
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _changes(self) -> FollowUpUpdate:
        if self.status is None and self.progress is None and self.note is None:
            raise ValueError("an update changes the status, the progress or the note")
        return self
