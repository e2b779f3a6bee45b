"""How a domain plugs into a node: it declares one `Domain`, and its service is built from a
`Wiring` (the write path, the store, the accounts, a clock, and a lookup of the other
domains' services), never from the node itself.

A domain is one package with one `DOMAIN`, registered by one line of `p2pvalue.domains`.
Its web routes are named by module path, so the domain never imports the web.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Engine

from p2pvalue.accounts import Account, Accounts
from p2pvalue.config import NodeConfig
from p2pvalue.events.authority import Authority, Rules
from p2pvalue.events.event import Event
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.types import CharterSection, EventType
from p2pvalue.ingest import Clock, Outcome, WritePath
from p2pvalue.rates import Limiter
from p2pvalue.snapshots import Snapshots
from p2pvalue.store.directory import Directory

S = TypeVar("S")
T = TypeVar("T")
REFUSED = frozenset({"refused", "rejected"})


class Act(Protocol):
    """A member's action taken on this node: limited, prechecked by the domain that owns
    its type, signed with their key and written."""

    def __call__(
        self, account: Account, space: str, type: str, content: dict[str, Any],
        ts: int | None = None,
    ) -> Outcome: ...  # fmt: skip


class Services(Protocol):
    """The services the node's domains built, found by their class."""

    def get(self, kind: type[T]) -> T: ...


@dataclass(frozen=True)
class Wiring:
    """What a domain's service may use of the node that runs it."""

    config: NodeConfig
    key: KeyPair  # the node's own key, with which it signs what it sends to other nodes
    engine: Engine
    writer: WritePath
    accounts: Accounts
    clock: Clock
    limiter: Limiter
    directory: Directory
    act: Act
    tick: Callable[[], int]  # sign the ticks every domain awaits (see `timekeeping`)
    services: Services
    snapshots: Snapshots  # where folded state is saved between runs (see `snapshots`)

    @property
    def did(self) -> str:
        return self.key.did

    def service(self, kind: type[T]) -> T:
        """Another domain's service, by its class."""
        return self.services.get(kind)

    def count_refused(self, kind: str, key: str, outcomes: Iterable[Outcome]) -> None:
        """Spend `key`'s allowance of refused and rejected events (`RateLimits.<kind>`)."""
        refused = sum(outcome.status in REFUSED for outcome in outcomes)
        if refused:
            self.limiter.spend(kind, key, refused)


# A domain's hooks take its service first; the node calls them the same way for every domain.
Precheck = Callable[[S, Account, str, str, dict[str, Any], int], None]
Committed = Callable[[S, Sequence[Event], str | None], None]
Acted = Callable[[S, Account, str, str], None]
Awaiting = Callable[[S, str, Authority], list[str]]
Sweep = Callable[[S, threading.Event | None], int]
Rebuild = Callable[[S], None]


@dataclass(frozen=True)
class Domain(Generic[S]):
    """One domain as the node registers it.

    `types` are the event types whose actions it prechecks; `service` its service's class
    (the key of `Wiring.service`), built by `build`; `api` and `pages` its web routes, as
    "module" (its `router`) or "module:attribute", which the web app mounts (the domain
    never imports the web); `activity` its phrasing modules, each with a `PHRASES` that
    tells its event types as sentences about people (`p2pvalue.web.phrasing`).
    What it adds below the domains: `kinds`, the event types it declares with their content
    models, `sections` of the charter, `rights` a role may be given besides event types
    (these make the catalog events are read with), and the authority `rules` its events
    are judged by in a space's log.
    The hooks, each optional: `precheck(service, account, space, type, content, at)` refuses
    an action before anything is signed; `committed(service, events, origin)` hears every
    committed batch; `acted(service, account, space, type)` follows a member's accepted
    action here; `awaiting(service, space, authority)` names what a timekeeper's next tick
    should witness; `sweep(service, stop)` is background work the node runs now and then,
    returning how much it did; `rebuild(service)` drops the state it folded from the logs
    (its projections are rebuilt with the node's), so the next read folds it all again.
    """

    name: str
    types: frozenset[str]
    service: type[S]
    build: Callable[[Wiring], S]
    api: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    activity: tuple[str, ...] = ()
    kinds: tuple[EventType, ...] = ()
    sections: tuple[CharterSection, ...] = ()
    rights: frozenset[str] = frozenset()
    rules: Rules | None = None
    precheck: Precheck[S] | None = None
    committed: Committed[S] | None = None
    acted: Acted[S] | None = None
    awaiting: Awaiting[S] | None = None
    sweep: Sweep[S] | None = None
    rebuild: Rebuild[S] | None = None
