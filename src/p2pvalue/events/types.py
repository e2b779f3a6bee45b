"""The event types a node knows, the shape of their content, and their ordering rank.

Rank decides order among concurrent events (see `order.py`): revocations first, then the
rest of governance and membership, then ordinary activity.

The kernel's own types (the space, its members and roles, erasure, the clock, the space
key, posts) are declared here; every domain declares its own as data (`EventType`, and the
`CharterSection`s of the founding charter it governs), and a `Catalog` holds them all.
Reading an event checks it against the catalog the composition installed (`install`): one
per process, because events are read everywhere an event arrives or is loaded, by code that
has no business knowing which domains a node runs. Until one is installed, the kernel's
types alone are known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from p2pvalue.errors import EventError

DID_PATTERN = r"^did:key:z[1-9A-HJ-NP-Za-km-z]+$"
EVENT_ID_PATTERN = r"^[A-Za-z0-9_-]{43}$"
ROLE_PATTERN = r"^[a-z][a-z0-9_-]*$"
TICK_SIZE = 500  # ids one clock.tick witnesses

RANK_REVOCATION = 0
RANK_GOVERNANCE = 1
RANK_ORDINARY = 2


class Content(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# The kernel's part of a charter; the domains' sections go between roles and timekeepers.
_CHARTER_HEAD: dict[str, Any] = {
    "membership": (Literal["open", "approval", "invite"], ...),
    "roles": (dict[str, list[str]], Field(max_length=64)),
    "founder_roles": (list[str], Field(min_length=1, max_length=16)),
    "member_roles": (list[str], Field(max_length=16)),
}
_CHARTER_TAIL: dict[str, Any] = {
    # Whose clock windows are measured by (see docs/security.md); absent: the founder.
    "timekeepers": (
        list[Annotated[str, Field(max_length=80, pattern=DID_PATTERN)]] | None,
        Field(default=None, min_length=1, max_length=8),
    ),
}


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


def check_erase(erase: ContentErase) -> None:
    if len(set(erase.events)) != len(erase.events):
        raise EventError("invalid_content", "events: an event is listed twice")


@dataclass(frozen=True)
class EventType:
    """A type of event: its name, ordering rank, content model, the checks beyond the
    model, and whether its author may have its content erased (personal text that no
    authority, accounting figure or other member's record depends on)."""

    name: str
    rank: int
    content: type[BaseModel]
    check: Callable[[Any], None] | None = None
    erasable: bool = False


@dataclass(frozen=True)
class CharterSection:
    """A part of the founding charter a domain governs (the value policy, the decision
    policies): its shape as a pydantic field, and a check against the charter's roles
    that refuses it as `invalid_charter`."""

    name: str
    annotation: Any
    field: Any  # a pydantic `Field(...)`: its default and bounds
    check: Callable[[Any, Mapping[str, frozenset[str]]], None] | None = None


KERNEL_TYPES = (
    EventType("member.join", RANK_GOVERNANCE, MemberJoin),
    EventType("member.request", RANK_GOVERNANCE, MemberRequest),
    EventType("member.admit", RANK_GOVERNANCE, MemberTarget),
    EventType("member.invite", RANK_GOVERNANCE, MemberTarget),
    EventType("member.decline", RANK_GOVERNANCE, MemberTarget),
    EventType("member.leave", RANK_GOVERNANCE, MemberLeave),
    EventType("member.home", RANK_ORDINARY, MemberHome),
    EventType("space.key", RANK_GOVERNANCE, SpaceKey),
    EventType("content.erase", RANK_ORDINARY, ContentErase, check_erase),
    EventType("member.remove", RANK_REVOCATION, MemberRemove),
    EventType("role.grant", RANK_GOVERNANCE, RoleChange),
    EventType("role.revoke", RANK_REVOCATION, RoleChange),
    EventType("clock.tick", RANK_GOVERNANCE, ClockTick, check_tick),
    EventType("post.create", RANK_ORDINARY, PostCreate, erasable=True),
)
REPLICA_ADD = "replica.add"  # a right that is no event: have this node replicate the space


@dataclass(frozen=True)
class Catalog:
    """Every event type a node knows, the kernel's and its domains', with the charter
    (`space.create`) shaped by the domains' sections; `rights` are what a role may be
    given besides event types."""

    types: tuple[EventType, ...] = ()
    sections: tuple[CharterSection, ...] = ()
    rights: frozenset[str] = frozenset()
    kinds: dict[str, EventType] = field(init=False)
    erasable: frozenset[str] = field(init=False)
    ranks: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        charter = create_model(  # type: ignore[call-overload]
            "CharterContent",
            __base__=Content,
            **_CHARTER_HEAD,
            **{s.name: (s.annotation, s.field) for s in self.sections},
            **_CHARTER_TAIL,
        )
        founding = create_model(
            "SpaceCreate",
            __base__=Content,
            name=(str, Field(min_length=1, max_length=200)),
            description=(str, Field(default="", max_length=4000)),
            charter=(charter, ...),
        )
        space = EventType("space.create", RANK_GOVERNANCE, founding)
        declared = (space, *KERNEL_TYPES, *self.types)
        kinds = {t.name: t for t in declared}
        if len(kinds) != len(declared):
            raise ValueError("two declarations of one event type")
        object.__setattr__(self, "rights", self.rights | {REPLICA_ADD})
        object.__setattr__(self, "kinds", kinds)
        object.__setattr__(self, "erasable", frozenset(n for n, t in kinds.items() if t.erasable))
        object.__setattr__(self, "ranks", {n: t.rank for n, t in kinds.items()})

    def kind(self, name: str) -> EventType:
        """The type called `name`, or an `unknown_event_type` refusal."""
        found = self.kinds.get(name)
        if found is None:
            raise EventError("unknown_event_type", f"no event type {name!r} is known to this node")
        return found

    def parse(self, type_name: str, content: Mapping[str, Any]) -> BaseModel:
        """`content` validated against its type's model and checks; the refusal names the
        fault."""
        kind = self.kind(type_name)
        try:
            parsed = kind.content.model_validate(content)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "content"
            raise EventError("invalid_content", f"{where}: {first['msg']}") from None
        if kind.check is not None:
            kind.check(parsed)
        return parsed

    def rank(self, type_name: str) -> int:
        """Ordering rank of a type; unknown types (never stored) would rank as ordinary."""
        return self.ranks.get(type_name, RANK_ORDINARY)


_installed: list[Catalog] = []


def install(catalog: Catalog) -> None:
    """Make `catalog` the one events are read with in this process (see the module's doc)."""
    _installed[:] = [catalog]


def installed() -> Catalog:
    """The catalog events are read with: the installed one, else the kernel's alone."""
    if not _installed:
        _installed.append(Catalog())
    return _installed[0]


def event_type(name: str) -> EventType:
    """The known type called `name`, or an `unknown_event_type` refusal."""
    return installed().kind(name)


def parse_content(type_name: str, content: Mapping[str, Any]) -> BaseModel:
    """Validate `content` against its type's schema and checks; the refusal names the fault."""
    return installed().parse(type_name, content)


def rank(type_name: str) -> int:
    """Ordering rank of a type; unknown types (never stored) would rank as ordinary."""
    return installed().ranks.get(type_name, RANK_ORDINARY)
