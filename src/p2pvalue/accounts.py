"""Accounts on a node: passwords (argon2id), sessions and bearer tokens, sealed member keys.

A member's Ed25519 secret key is stored encrypted (XSalsa20-Poly1305 secret box) under the
node's keyring key, which lives in the data folder and never in the database: a copy of the
database alone reveals no member key. A member can export their key to take it elsewhere.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

import nacl.secret
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from p2pvalue.errors import Conflict, P2PError, Unauthorized
from p2pvalue.events.canonical import b64u
from p2pvalue.events.event import now_ms
from p2pvalue.events.keys import KeyPair
from p2pvalue.store.database import writing
from p2pvalue.store.schema import accounts, sessions

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{2,39}")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
LIFETIME_MS = {"bearer": 30 * 86_400_000, "cookie": 14 * 86_400_000}


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    did: str


class Accounts:
    """Registration, login and the keys of the members who live on this node."""

    def __init__(
        self, engine: Engine, keyring: bytes, hasher: PasswordHasher | None = None
    ) -> None:
        self._engine = engine
        self._box = nacl.secret.SecretBox(keyring)
        self._hasher = hasher or PasswordHasher()

    def register(self, username: str, password: str, seed: bytes | None = None) -> Account:
        """A new account with a fresh key pair, or with the key of `seed` for a member who
        moves here from another node; refuses taken or malformed names, and a key that
        already has an account here."""
        if not USERNAME.fullmatch(username or ""):
            raise P2PError(
                "invalid_username", "3 to 40 characters: lower-case letters, digits, _ . -", 422
            )
        if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
            raise P2PError(
                "weak_password", f"passwords have at least {MIN_PASSWORD} characters", 422
            )
        key = KeyPair.generate() if seed is None else KeyPair(seed)
        row = {
            "username": username,
            "password_hash": self._hasher.hash(password),
            "did": key.did,
            "sealed_key": bytes(self._box.encrypt(key.seed)),
            "created_at": now_ms(),
        }
        try:
            with writing(self._engine) as conn:
                if conn.scalar(select(accounts.c.id).where(accounts.c.did == key.did)):
                    raise Conflict("key_taken", "an account here already has this key")
                if conn.scalar(select(accounts.c.id).where(accounts.c.username == username)):
                    raise IntegrityError("username", None, Exception())
                inserted = conn.execute(insert(accounts).values(row)).inserted_primary_key
        except IntegrityError:
            # Checked first for a clear answer; the unique index settles a race between workers.
            raise Conflict("username_taken", f"the name {username!r} is taken") from None
        assert inserted is not None
        return Account(int(inserted[0]), username, key.did)

    def check_password(self, username: str, password: str) -> Account:
        """The account if the password is right; one refusal for every wrong case."""
        with self._engine.begin() as conn:
            row = conn.execute(select(accounts).where(accounts.c.username == username)).first()
        try:
            if row is None:
                raise VerificationError
            self._hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise Unauthorized("bad_credentials", "unknown user or wrong password") from None
        return Account(row.id, row.username, row.did)

    def open_session(self, account: Account, kind: str = "bearer") -> str:
        """A new secret token for `account`; only its hash is stored."""
        token = secrets.token_urlsafe(32)
        now = now_ms()
        row = {
            "token_hash": _hash(token),
            "account_id": account.id,
            "kind": kind,
            "created_at": now,
            "expires_at": now + LIFETIME_MS[kind],
        }
        with writing(self._engine) as conn:
            conn.execute(insert(sessions), [row])
        return token

    def authenticate(self, token: str, kind: str) -> Account | None:
        query = (
            select(accounts.c.id, accounts.c.username, accounts.c.did)
            .join(sessions, sessions.c.account_id == accounts.c.id)
            .where(sessions.c.token_hash == _hash(token), sessions.c.kind == kind)
            .where(sessions.c.expires_at > now_ms())
        )
        with self._engine.begin() as conn:
            row = conn.execute(query).first()
        return Account(row.id, row.username, row.did) if row else None

    def close_session(self, token: str) -> None:
        with writing(self._engine) as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == _hash(token)))

    def key_of(self, account: Account) -> KeyPair:
        """The member's signing key, unsealed for one action."""
        with self._engine.begin() as conn:
            sealed = conn.scalar(select(accounts.c.sealed_key).where(accounts.c.id == account.id))
        if sealed is None:
            raise Unauthorized("unknown_account", "this account no longer exists")
        return KeyPair(bytes(self._box.decrypt(sealed)))

    def export_key(self, account: Account, password: str) -> dict[str, str]:
        """The member's key in a portable form, after the password is given again."""
        self.check_password(account.username, password)
        key = self.key_of(account)
        return {"did": key.did, "type": "Ed25519", "seed": b64u(key.seed)}

    def by_username(self, username: str) -> Account | None:
        with self._engine.begin() as conn:
            row = conn.execute(select(accounts).where(accounts.c.username == username)).first()
        return Account(row.id, row.username, row.did) if row else None

    def by_did(self, did: str) -> Account | None:
        with self._engine.begin() as conn:
            row = conn.execute(select(accounts).where(accounts.c.did == did)).first()
        return Account(row.id, row.username, row.did) if row else None

    def names(self, dids: list[str]) -> dict[str, str]:
        """Usernames of the given members who have accounts here."""
        query = select(accounts.c.did, accounts.c.username).where(accounts.c.did.in_(dids))
        with self._engine.begin() as conn:
            return {row.did: row.username for row in conn.execute(query)}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
