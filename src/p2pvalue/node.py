"""The composition root: one running node, built from its configuration."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import orjson
from argon2 import PasswordHasher
from sqlalchemy import select

from p2pvalue import timekeeping
from p2pvalue.accounting import bounties, sweep
from p2pvalue.accounting.ledger import (
    VALUE_REFUSALS,
    VALUE_TYPES,
    Ledger,
    ValueEvent,
    check,
    reputation_input,
)
from p2pvalue.accounting.payout_plan import charter_plan, run_content
from p2pvalue.accounting.payouts import Payout
from p2pvalue.accounting.reputation import ReputationResult, reputation
from p2pvalue.accounting.state import Ledgers
from p2pvalue.accounts import Account, Accounts
from p2pvalue.collab.service import COLLAB_TYPES, Collab
from p2pvalue.config import NodeConfig
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.charter import default_charter
from p2pvalue.events.event import now_ms
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.types import parse_content
from p2pvalue.federation.replication import Replication
from p2pvalue.fediverse import Fediverse
from p2pvalue.governing import GOVERNANCE_TYPES, Governance
from p2pvalue.ingest import Clock, Outcome, WritePath
from p2pvalue.login_throttle import LoginThrottle, ThrottlePolicy
from p2pvalue.privacy.keyring import Keyring
from p2pvalue.privacy.spaces import PrivateSpaces
from p2pvalue.rates import Limiter
from p2pvalue.rights import erasure
from p2pvalue.social import Social
from p2pvalue.social.messages import Messages
from p2pvalue.social.notifications import Notifications
from p2pvalue.store import events as store
from p2pvalue.store.database import make_engine, migrate
from p2pvalue.store.schema import events as events_table
from p2pvalue.store.schema import members, spaces

READERS = ("member", "invited")  # who may read a private space: they hold its key
REFUSED = frozenset({"refused", "rejected"})
TOO_MANY_REFUSED = "too many of your events were refused: wait before trying again"


@dataclass(frozen=True)
class SpaceSummary:
    id: str
    name: str
    description: str
    creator: str
    created_ts: int
    membership: str
    charter: dict[str, Any]
    events: int
    accepted: int
    private: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Node:
    """Wires the store, the write path and the accounts of one node together."""

    def __init__(
        self, config: NodeConfig, *, password_hasher: PasswordHasher | None = None,
        clock: Clock = now_ms,
    ) -> None:  # fmt: skip
        """Open the store (migrating it), the node key and the accounts.

        `password_hasher` replaces argon2id's default costs, e.g. cheaper ones in tests;
        `clock` the node's clock (ms), which tests move instead of backdating events.
        """
        self.config = config
        self.clock = clock
        self.engine = make_engine(config.url)
        try:
            self._wire(config, password_hasher)
        except BaseException:
            self.engine.dispose()  # its pooled connections closed, not left to the collector
            raise

    def _wire(self, config: NodeConfig, password_hasher: PasswordHasher | None) -> None:
        migrate(self.engine)
        self.key = config.node_key()
        self.limiter = Limiter(config.limits)  # how often accounts, addresses, nodes may ask
        throttle = LoginThrottle(self.engine, ThrottlePolicy.of(config))
        self.accounts = Accounts(self.engine, config.keyring(), password_hasher, throttle)
        keyring = Keyring(config.keyring(), self._member_key)
        self.writer = WritePath(self.engine, keyring, lambda: self.clock())
        self._homed: set[tuple[str, str]] = set()  # (space, did) known to live here
        self.ledgers = Ledgers(self.writer)
        self._reputations: dict[str, tuple[Ledger, ReputationResult]] = {}
        self.governance = Governance(self)
        self.collab = Collab(self)
        self.social = Social(self)
        self.messages = Messages(self.engine, self.accounts, self.key.did)
        self.notifications = Notifications(self)
        self.replication = Replication(self)
        self.fediverse = Fediverse(self)
        self.private = PrivateSpaces(self)

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            self.engine.dispose()

    @property
    def did(self) -> str:
        return self.key.did

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
            outcome = self.private.create(account, content)
        else:
            outcome = self.writer.create_space(self.accounts.key_of(account), content)
        if outcome.status == "accepted" and outcome.id is not None:
            self._announce_home(account, outcome.id)
        return outcome

    def act(
        self, account: Account, space: str, type: str, content: dict[str, Any],
        ts: int | None = None,
    ) -> Outcome:  # fmt: skip
        """Take an action in a space as `account`: signed with their key, then ingested.

        A value action the ledger would void (a review of one's own claim, evidence claimed
        twice, a payout beyond the balance, …) is refused here and nothing is stored.
        """
        self.limiter.guard("refused_per_author", account.did, TOO_MANY_REFUSED)
        if ts is not None:
            self.check_local_time(ts)
        at = self.clock() if ts is None else ts
        if type in VALUE_TYPES:
            self._precheck_value(account, space, type, content, at)
        elif type in GOVERNANCE_TYPES:
            parse_content(type, content)
            self.governance.precheck(account, space, type, content, at)
        elif type in COLLAB_TYPES:
            self.collab.precheck(account, space, type, content, at)
        elif type == "content.erase":
            parse_content(type, content)
            erasure.check_request(self, account, space, content)
        outcome = self.writer.act(self.accounts.key_of(account), space, type, content, ts)
        self.count_refused("refused_per_author", account.did, [outcome])
        if outcome.status == "accepted" and type != "member.home":
            self._announce_home(account, space)
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

    def announce_home(self, account: Account) -> list[str]:
        """Announce in every space here of which `account` is a member that they live on this
        node (a member who moved here with their key); the spaces where it was news."""
        announced = []
        self._homed = {(space, did) for space, did in self._homed if did != account.did}
        for summary in self.spaces(everyone=True):
            before = self.replication.homes(summary.id).get(account.did)
            self._announce_home(account, summary.id)
            if self.replication.homes(summary.id).get(account.did) != before:
                announced.append(summary.id)
        return announced

    def _announce_home(self, account: Account, space: str) -> None:
        """Tell the space where a member of this node lives, once they are a member and if
        it does not know yet (or knows an old home), so other nodes reach them here."""
        url = self.config.public_url
        if url is None or (space, account.did) in self._homed:
            return
        home = self.replication.homes(space).get(account.did)
        if home is not None and (home.node, home.url) == (self.did, url):
            self._homed.add((space, account.did))
            return
        log = self.writer.log(space)
        if log is not None and log.authority is not None and log.authority.is_member(account.did):
            content = {"node": self.did, "url": url}
            self.writer.act(self.accounts.key_of(account), space, "member.home", content)

    def reputation(self, space: str) -> ReputationResult:
        """The space's graph reputation, derived from its ledger (cached until the log changes)."""
        ledger = self.ledger(space)
        cached = self._reputations.get(space)
        if cached is not None and cached[0] is ledger:
            return cached[1]
        members = [m["did"] for m in self.members(space) if m["status"] == "member"]
        result = reputation(reputation_input(ledger, members))
        self._reputations[space] = (ledger, result)
        return result

    def close_due_claims(self, stop: threading.Event | None = None) -> int:
        """Accept, by a signed `contribution.close`, every claim whose lazy-acceptance window
        passed undisputed, in the spaces whose timekeeper lives here (their windows start
        at the timekeeper's ticks, see `timekeeping`), many to a transaction. The node runs
        this itself (see the web app), so no cron is needed; it ends early, between two
        batches, once `stop` is set (the node is shutting down)."""
        closed = 0
        timekeeping.tick(self)
        for summary in self.spaces(everyone=True):
            lazy = ((summary.charter.get("value") or {}).get("acceptance") or {}).get("lazy_hours")
            log = self.writer.log(summary.id)
            if lazy is None or log is None or log.authority is None:
                continue
            account = timekeeping.local_timekeeper(self, log.authority)
            if account is None:
                continue
            key = self.accounts.key_of(account)
            done, stopped = sweep.close_due(
                self.writer, self.ledgers, key, summary.id, lazy, self.clock, stop
            )
            closed += done
            if stopped:
                return closed
        return closed

    def payout_plan(
        self, space: str, currency: str, budget: int, at: int, earmark: str | None = None
    ) -> Payout:
        """What paying out `budget` at `at` would give each member, by the charter's policy,
        out of the pot of `earmark` (None: the income recorded without one)."""
        value = self.space(space).charter.get("value")
        return charter_plan(self.ledger(space), value, currency, budget, at, earmark)

    def pay_out(
        self, account: Account, space: str, currency: str, budget: int,
        earmark: str | None = None,
    ) -> Outcome:  # fmt: skip
        """Record a payout run: the plan's allocations, signed with the time they were planned."""
        at = now_ms()
        payout = self.payout_plan(space, currency, budget, at, earmark)
        return self.act(account, space, "payout.run", run_content(payout, currency, earmark), ts=at)

    def pay_bounty(self, account: Account, space: str, claim_id: str) -> Outcome:
        """Pay an accepted claim's money bounty: out of its project's earmarked income when
        that holds enough, else out of the income recorded without an earmark."""
        ledger = self.ledger(space)
        claim = ledger.claims.get(claim_id)
        if claim is None:
            raise NotFound("unknown_claim", f"no claim {claim_id!r} in this space")
        if claim.bounty is None:
            raise P2PError("no_bounty", VALUE_REFUSALS["no_bounty"], 422)
        amount, currency = claim.bounty
        project = claim.project
        earmark = project if project and ledger.balance(currency, project) >= amount else None
        return self.act(account, space, "bounty.pay", bounties.pay_content(claim, earmark))

    def ledger(self, space_id: str) -> Ledger:
        """The space's ledger, folded from its log (kept up to date as the log grows)."""
        return self.ledgers.ledger(space_id)

    def _precheck_value(
        self, account: Account, space: str, type: str, content: dict[str, Any], ts: int
    ) -> None:
        parse_content(type, content)
        log = self.writer.log(space)
        if log is None or log.authority is None:
            raise NotFound("unknown_space", f"no space {space!r} on this node")
        proposed = ValueEvent("-", type, account.did, ts, content, log.authority)
        reason = check(self.ledger(space), proposed)
        if reason is not None:
            raise P2PError(reason, VALUE_REFUSALS.get(reason, reason), 422)

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
        refused = sum(outcome.status in REFUSED for outcome in outcomes)
        if refused:
            self.limiter.spend(kind, key, refused)

    def spaces(self, viewer: str | None = None, *, everyone: bool = False) -> list[SpaceSummary]:
        """The spaces this node reads (not those it keeps sealed for others), in founding
        order; unless `everyone`, only the public ones and the private ones `viewer` is in."""
        query = select(spaces).where(spaces.c.readable.is_(True))
        if not everyone:
            joined = select(members.c.space).where(
                members.c.did == (viewer or ""), members.c.status.in_(READERS)
            )
            query = query.where(spaces.c.private.is_(False) | spaces.c.id.in_(joined))
        with self.engine.begin() as conn:
            rows = conn.execute(query.order_by(spaces.c.created_ts, spaces.c.id))
            return [_summary(row) for row in rows]

    def held_spaces(self) -> list[SpaceSummary]:
        """Every space this node holds, those it keeps sealed for others too (replication)."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(spaces).order_by(spaces.c.created_ts, spaces.c.id))
            return [_summary(row) for row in rows]

    def can_read(self, space_id: str, viewer: str | None) -> bool:
        """Whether `viewer` (None: anyone) may see a space here: any public space, a private
        one only its members and invitees; a space this node keeps sealed, no one."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(spaces.c.private, spaces.c.readable).where(spaces.c.id == space_id)
            ).first()
            if row is None or not row.private:
                return True
            if not row.readable or viewer is None:
                return False
            status = conn.scalar(
                select(members.c.status).where(members.c.space == space_id, members.c.did == viewer)
            )
        return status in READERS

    def space_of(self, event_id: str) -> str | None:
        """The space an event belongs to, if this node holds it."""
        with self.engine.begin() as conn:
            return conn.scalar(select(events_table.c.space).where(events_table.c.id == event_id))

    def space(self, space_id: str) -> SpaceSummary:
        with self.engine.begin() as conn:
            row = conn.execute(select(spaces).where(spaces.c.id == space_id)).first()
        if row is None:
            raise NotFound("unknown_space", f"no space {space_id!r} on this node")
        return _summary(row)

    def members(self, space_id: str) -> list[dict[str, Any]]:
        self.space(space_id)
        query = select(members).where(members.c.space == space_id).order_by(members.c.did)
        with self.engine.begin() as conn:
            return [
                {"did": r.did, "status": r.status, "roles": orjson.loads(r.roles), "since": r.since}
                for r in conn.execute(query)
            ]

    def events(
        self, space_id: str, *, after: int = -1, limit: int = 50, newest_first: bool = False,
        accepted_only: bool = False,
    ) -> list[store.StoredEvent]:  # fmt: skip
        self.space(space_id)
        with self.engine.begin() as conn:
            return store.page(conn, space_id, after=after, limit=limit,
                              newest_first=newest_first, accepted_only=accepted_only)  # fmt: skip

    def event(self, event_id: str) -> store.StoredEvent:
        with self.engine.begin() as conn:
            found = store.get_event(conn, event_id)
        if found is None:
            raise NotFound("unknown_event", f"no event {event_id!r} on this node")
        return found

    def export(self, space_id: str) -> Iterator[bytes]:
        """The raw log of a space, one canonical event per line, in the space's order."""
        self.space(space_id)
        with self.engine.begin() as conn:
            for _, body in store.bodies(conn, space_id):
                yield body


def _summary(row: Any) -> SpaceSummary:
    return SpaceSummary(
        row.id,
        row.name,
        row.description,
        row.creator,
        row.created_ts,
        row.membership,
        orjson.loads(row.charter),
        row.events,
        row.accepted,
        row.private,
    )
