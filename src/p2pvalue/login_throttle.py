"""Failed logins per account name, and the lockout they earn, kept in the database so that
every worker of a node sees the same count.

Each attempt is counted before its password is checked, in one write transaction, so that
guesses sent all at once cannot slip past the limit; a successful login clears the count.
A name nobody has is counted like a real one: the lockout tells no one which names exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from p2pvalue.config import NodeConfig
from p2pvalue.errors import P2PError
from p2pvalue.events.event import now_ms
from p2pvalue.store.database import writing
from p2pvalue.store.schema import login_failures

# Names an account can have (see accounts.USERNAME): others cannot log in, so are not kept.
COUNTED = re.compile(r"[a-z0-9][a-z0-9_.-]{2,39}")


@dataclass(frozen=True)
class ThrottlePolicy:
    """`free` failures in a row are let through; the next attempts wait `first_s` seconds,
    doubling with each further failure up to `longest_s`. A count idle for `forget_s`
    seconds starts over."""

    free: int = 5
    first_s: int = 30
    longest_s: int = 3600
    forget_s: int = 86_400

    @classmethod
    def of(cls, config: NodeConfig) -> ThrottlePolicy:
        """The policy a node's configuration sets."""
        return cls(config.login_free_failures, config.login_lockout_s, config.login_lockout_max_s)

    def lockout_s(self, failures: int) -> int:
        """How long a name with `failures` failures in a row is locked (0: not locked)."""
        if failures < self.free:
            return 0
        doubled: int = self.first_s << min(failures - self.free, 32)
        return min(self.longest_s, doubled)


class LoginLocked(P2PError):
    """Too many failed logins for one name: 429, and when to try again (`Retry-After`)."""

    status = 429

    def __init__(self, retry_after_s: int) -> None:
        wait = _in_words(retry_after_s)
        super().__init__(
            "login_locked", f"too many failed logins for this account: try again in {wait}"
        )
        self.retry_after_s = retry_after_s
        self.headers = {"Retry-After": str(retry_after_s)}


class LoginThrottle:
    """Counts attempts per name and refuses them while the name is locked."""

    def __init__(self, engine: Engine, policy: ThrottlePolicy | None = None) -> None:
        self._engine = engine
        self.policy = policy or ThrottlePolicy()

    def attempt(self, username: str) -> None:
        """Count an attempt to log in as `username` (cleared by `succeeded`); raise
        `LoginLocked` without counting it if the name is locked."""
        if not COUNTED.fullmatch(username):
            return
        for tries in (1, 2):
            try:
                with writing(self._engine) as conn:
                    self._count(conn, username, now_ms())
                return
            except IntegrityError:  # another worker counted the name's first failure
                if tries == 2:
                    raise

    def succeeded(self, username: str) -> None:
        """The password was right: the name's failures are forgotten."""
        if COUNTED.fullmatch(username):
            with writing(self._engine) as conn:
                conn.execute(delete(login_failures).where(login_failures.c.username == username))

    def _count(self, conn: Connection, username: str, now: int) -> None:
        cutoff = now - self.policy.forget_s * 1000
        conn.execute(delete(login_failures).where(login_failures.c.last_failure_at < cutoff))
        query = select(login_failures).where(login_failures.c.username == username)
        row = conn.execute(query.with_for_update()).first()
        if row is not None and row.locked_until > now:
            raise LoginLocked(-(-(row.locked_until - now) // 1000))
        failures = (row.failures if row is not None else 0) + 1
        values = {
            "failures": failures,
            "locked_until": now + self.policy.lockout_s(failures) * 1000,
            "last_failure_at": now,
        }
        if row is None:
            conn.execute(insert(login_failures).values(username=username, **values))
        else:
            where = login_failures.c.username == username
            conn.execute(update(login_failures).where(where).values(**values))


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"
