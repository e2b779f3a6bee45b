"""The composition root: one running node, built from its configuration."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

from argon2 import PasswordHasher

from p2pvalue.accounts import Account, Accounts
from p2pvalue.config import NodeConfig
from p2pvalue.domain import Domain, Wiring
from p2pvalue.domains import DOMAINS
from p2pvalue.errors import P2PError
from p2pvalue.events import types
from p2pvalue.events.event import now_ms
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.types import parse_content
from p2pvalue.governance.templates import default_charter
from p2pvalue.ingest import Clock, Outcome, WritePath
from p2pvalue.keyring import Keyring
from p2pvalue.login_throttle import LoginThrottle, ThrottlePolicy
from p2pvalue.privacy.spaces import PrivateSpaces
from p2pvalue.rates import limiter_for
from p2pvalue.registry import Registry, catalog_of, rules_of
from p2pvalue.snapshots import MIN_EVENTS, Snapshots
from p2pvalue.store import events as store
from p2pvalue.store.database import make_engine, migrate
from p2pvalue.store.directory import Directory, SpaceSummary
from p2pvalue.timekeeping import Timekeeper

T = TypeVar("T")
TOO_MANY_REFUSED = "too many of your events were refused: wait before trying again"
__all__ = ["Node", "SpaceSummary"]


class Node:
    """Wires the store, the write path, the accounts and the registered domains together."""

    def __init__(
        self, config: NodeConfig, *, password_hasher: PasswordHasher | None = None,
        clock: Clock = now_ms, domains: Sequence[Domain[Any]] = DOMAINS,
    ) -> None:  # fmt: skip
        """Open the store (migrating it), the node key and the accounts, and build the
        services of `domains`.

        `password_hasher` replaces argon2id's default costs, e.g. cheaper ones in tests;
        `clock` the node's clock (ms), which tests move instead of backdating events.
        """
        self.config = config
        self.clock = clock
        self.engine = make_engine(config.url)
        try:
            self._wire(config, password_hasher, domains)
        except BaseException:
            self.engine.dispose()  # its pooled connections closed, not left to the collector
            raise

    def _wire(
        self, config: NodeConfig, password_hasher: PasswordHasher | None,
        domains: Sequence[Domain[Any]],
    ) -> None:  # fmt: skip
        migrate(self.engine)
        self.key = config.node_key()
        # How often accounts, addresses, nodes may ask: counted in Redis if it is shared.
        self.limiter = limiter_for(config.limits, config.redis_url, self.key.did)
        throttle = LoginThrottle(self.engine, ThrottlePolicy.of(config))
        self.accounts = Accounts(self.engine, config.keyring(), password_hasher, throttle)
        keyring = Keyring(config.keyring(), self._member_key)
        types.install(catalog_of(domains))  # events are read with every domain's types
        rules = rules_of(domains)
        self.writer = WritePath(self.engine, keyring, lambda: self.clock(), rules=rules)
        self.directory = Directory(self.engine)
        self.registry = Registry(domains)
        self.timekeeper = Timekeeper(
            self.directory, self.writer, self.accounts, self.act, self.registry.awaiting
        )
        self.snapshots = Snapshots(self.engine, self.key.seed)
        self.wiring = Wiring(
            config, self.key, self.engine, self.writer, self.accounts, lambda: self.clock(),
            self.limiter, self.directory, self.act, self.timekeeper.tick, self.registry,
            self.snapshots,
        )  # fmt: skip
        self.registry.build(self.wiring)

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Save what was folded of large spaces since their last snapshot, and the state of
        the large spaces written to (an import) that was not folded yet, so that the next
        start folds on from there; then close the store."""
        try:
            self.snapshots.save_all(grown=1, others=self.writer.grown(MIN_EVENTS))
            self.writer.close()
            self.limiter.close()
        finally:
            self.engine.dispose()

    @property
    def did(self) -> str:
        return self.key.did

    def service(self, kind: type[T]) -> T:
        """The service of one of the node's domains, by its class (`node.service(Value)`)."""
        return self.registry.get(kind)

    def _member_key(self, did: str) -> KeyPair | None:
        account = self.accounts.by_did(did)
        return self.accounts.key_of(account) if account is not None else None

    def create_space(
        self,
        account: Account,
        name: str,
        description: str = "",
        membership: str = "open",
        charter: dict[str, Any] | None = None,
        private: bool = False,
    ) -> Outcome:
        """Found a space. A private one is sealed under a key only its members hold, and is
        joined by invitation (a newcomer needs the key before they can say anything)."""
        charter = charter or default_charter(membership)
        content = {"name": name, "description": description, "charter": charter}
        if private and charter.get("membership") != "invite":
            raise P2PError(
                "private_space_needs_invitations",
                "a private space's membership is by invitation",
                422,
            )
        if private:
            parse_content("space.create", content)
            outcome = self.service(PrivateSpaces).create(account, content)
        else:
            outcome = self.writer.create_space(self.accounts.key_of(account), content)
        if outcome.status == "accepted" and outcome.id is not None:
            self.registry.acted(account, outcome.id, "space.create")
        return outcome

    def act(
        self, account: Account, space: str, type: str, content: dict[str, Any],
        ts: int | None = None,
    ) -> Outcome:  # fmt: skip
        """Take an action in a space as `account`: signed with their key, then ingested.

        An action the domain owning its type would void (a review of one's own claim, a
        ballot the charter refuses, …) is refused here and nothing is stored.
        """
        self.limiter.guard("refused_per_author", account.did, TOO_MANY_REFUSED)
        if ts is not None:
            self.check_local_time(ts)
        at = self.clock() if ts is None else ts
        self.registry.precheck(account, space, type, content, at)
        outcome = self.writer.act(self.accounts.key_of(account), space, type, content, ts)
        self.count_refused("refused_per_author", account.did, [outcome])
        if outcome.status == "accepted":
            self.registry.acted(account, space, type)
        return outcome

    def check_local_time(self, ts: int) -> None:
        """Refuse the time of an action taken here when it is far from this node's clock:
        an author's time is a claim, and a lie about it must not pass on this node's word."""
        skew = self.config.clock_skew_ms
        if abs(ts - self.clock()) > skew:
            raise P2PError(
                "timestamp_out_of_range",
                f"ts is more than {skew // 1000} s away from this node's clock",
                422,
            )

    def sweep(self, stop: threading.Event | None = None) -> dict[str, int]:
        """Run every domain's background work once (closing due claims, keeping proposals'
        deadlines, …), how many events each emitted, and save snapshots of the logs that
        grew (`snapshots`). The web app runs it now and then."""
        done = self.registry.sweep(stop)
        if stop is None or not stop.is_set():
            self.snapshots.save_all()
        return done

    def rebuild(self, advance: Callable[[int], None] = lambda n: None) -> dict[str, int]:
        """Drop every projection and every domain's folded state, and derive them again
        from the stored events; how many spaces and events were read (`advance` is told as
        each space's events are done)."""
        counts = self.writer.rebuild(advance)
        self.registry.rebuild()
        return counts

    def ingest(
        self, wires: list[Any], *, hold_missing: bool = False, origin: str | None = None,
        held_by: str | None = None,
    ) -> list[Outcome]:  # fmt: skip
        """Take events from another node (or an import): they may be old, never far ahead."""
        return self.writer.ingest(wires, hold_missing=hold_missing, origin=origin, held_by=held_by)

    def submit(self, account: Account, wires: list[Any]) -> list[Outcome]:
        """Events signed elsewhere that `account` hands in, taken like actions taken here:
        dated within `clock_skew_ms` of this node's clock; an account whose events keep
        being refused or rejected is slowed down (RateLimited)."""
        self.limiter.guard("refused_per_author", account.did, TOO_MANY_REFUSED)
        outcomes = self.writer.ingest(wires, skew=self.config.clock_skew_ms)
        self.count_refused("refused_per_author", account.did, outcomes)
        return outcomes

    def count_refused(self, kind: str, key: str, outcomes: list[Outcome]) -> None:
        """Spend `key`'s allowance of refused and rejected events (`RateLimits.<kind>`)."""
        self.wiring.count_refused(kind, key, outcomes)

    def spaces(self, viewer: str | None = None, *, everyone: bool = False) -> list[SpaceSummary]:
        """See `Directory.spaces`."""
        return self.directory.spaces(viewer, everyone=everyone)

    def held_spaces(self) -> list[SpaceSummary]:
        return self.directory.held_spaces()

    def can_read(self, space_id: str, viewer: str | None) -> bool:
        return self.directory.can_read(space_id, viewer)

    def space_of(self, event_id: str) -> str | None:
        return self.directory.space_of(event_id)

    def space(self, space_id: str) -> SpaceSummary:
        return self.directory.space(space_id)

    def members(self, space_id: str) -> list[dict[str, Any]]:
        return self.directory.members(space_id)

    def members_by_joining(self, space_id: str, status: str = "member") -> list[dict[str, Any]]:
        """The members of `status`, longest-standing first."""
        return self.directory.members_by_joining(space_id, status)

    def events(
        self, space_id: str, *, after: int = -1, limit: int = 50, newest_first: bool = False,
        accepted_only: bool = False,
    ) -> list[store.StoredEvent]:  # fmt: skip
        return self.directory.events(
            space_id, after=after, limit=limit, newest_first=newest_first,
            accepted_only=accepted_only,
        )  # fmt: skip

    def event(self, event_id: str) -> store.StoredEvent:
        return self.directory.event(event_id)

    def export(self, space_id: str) -> Iterator[bytes]:
        """The raw log of a space, one canonical event per line, in the space's order."""
        return self.directory.export(space_id)
