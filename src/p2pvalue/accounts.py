"""Accounts on a node: passwords (argon2id), sessions and bearer tokens, sealed member keys.

Logging in costs the same whether or not the name exists (an unknown name is checked
against a stand-in hash), and failed logins lock the name for a while (`login_throttle`).
A member sees and revokes their sessions and tokens; changing the password revokes all
but the one in use.

A member's Ed25519 secret key is stored encrypted (XSalsa20-Poly1305 secret box) under the
node's keyring key, which lives in the data folder and never in the database: a copy of the
database alone reveals no member key. A member can export their key to take it elsewhere.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import nacl.secret
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from p2pvalue.errors import Conflict, P2PError, Unauthorized
from p2pvalue.events.canonical import b64u
from p2pvalue.events.event import now_ms
from p2pvalue.events.keys import KeyPair
from p2pvalue.login_throttle import LoginThrottle
from p2pvalue.passwords import check_password_policy
from p2pvalue.store.database import writing
from p2pvalue.store.schema import accounts, sessions

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{2,39}")
LANGUAGE = re.compile(r"[a-z]{2,3}")
SESSION_ID_LENGTH = 16
LIFETIME_MS = {"bearer": 30 * 86_400_000, "cookie": 14 * 86_400_000}


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    did: str
    language: str | None = None  # chosen for the pages; None: the browser's


class Accounts:
    """Registration, login and the keys of the members who live on this node."""

    def __init__(
        self, engine: Engine, keyring: bytes, hasher: PasswordHasher | None = None,
        throttle: LoginThrottle | None = None,
    ) -> None:  # fmt: skip
        self._engine = engine
        self._box = nacl.secret.SecretBox(keyring)
        self._hasher = hasher or PasswordHasher()
        self.throttle = throttle or LoginThrottle(engine)

    @cached_property
    def _stand_in(self) -> str:
        """What an unknown name's password is checked against, at the cost of a real one
        (made once, when first needed, so that starting a node costs no hash)."""
        return self._hasher.hash(secrets.token_urlsafe(32))

    def register(self, username: str, password: str, seed: bytes | None = None) -> Account:
        """A new account with a fresh key pair, or with the key of `seed` for a member who
        moves here from another node; refuses taken or malformed names, and a key that
        already has an account here."""
        if not USERNAME.fullmatch(username or ""):
            raise P2PError(
                "invalid_username", "3 to 40 characters: lower-case letters, digits, _ . -", 422
            )
        check_password_policy(password or "", username)
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
        """The account if the password is right; one refusal (`bad_credentials`) for every
        wrong case, after the same work whether the name exists or not. Raises
        `LoginLocked` (429) while the name is locked after too many failures."""
        self.throttle.attempt(username)
        with self._engine.begin() as conn:
            row = conn.execute(select(accounts).where(accounts.c.username == username)).first()
        try:
            self._hasher.verify(row.password_hash if row else self._stand_in, password)
            if row is None:
                raise VerificationError
        except (VerificationError, InvalidHashError):
            raise Unauthorized("bad_credentials", "unknown user or wrong password") from None
        self.throttle.succeeded(username)
        return Account(row.id, row.username, row.did, row.language)

    def change_password(
        self, account: Account, current: str, new: str, keep_token: str | None = None
    ) -> int:
        """Set a new password after the current one is given again; every session and token
        of the account but `keep_token` (the one in use) is revoked. How many were."""
        self.check_password(account.username, current)
        check_password_policy(new, account.username)
        if new == current:
            raise P2PError("same_password", "The new password is the one you have now.", 422)
        hashed = self._hasher.hash(new)
        with writing(self._engine) as conn:
            conn.execute(
                update(accounts).where(accounts.c.id == account.id).values(password_hash=hashed)
            )
        return self.revoke_sessions(account, keep_token)

    def sessions_of(self, account: Account, current: str | None = None) -> list[dict[str, Any]]:
        """The account's live sessions (pages) and tokens (API), newest first; `id` names
        one for `revoke_session`, `current` marks the one whose token is `current`."""
        now = now_ms()
        mine = sessions.c.account_id == account.id
        with writing(self._engine) as conn:
            conn.execute(delete(sessions).where(mine, sessions.c.expires_at <= now))
            rows = conn.execute(
                select(sessions).where(mine).order_by(sessions.c.created_at.desc())
            ).all()
        in_use = _hash(current) if current else None
        return [
            {"id": _session_id(row.token_hash), "kind": row.kind, "created_at": row.created_at,
             "expires_at": row.expires_at, "current": row.token_hash == in_use}
            for row in rows
        ]  # fmt: skip

    def revoke_session(self, account: Account, session_id: str) -> None:
        """End one of the account's sessions or tokens; `unknown_session` (404) if none of
        its own has this id."""
        with writing(self._engine) as conn:
            hashes = conn.scalars(
                select(sessions.c.token_hash).where(sessions.c.account_id == account.id)
            ).all()
            found = [h for h in hashes if _session_id(h) == session_id]
            if not found:
                raise P2PError("unknown_session", "you have no session with this id", 404)
            conn.execute(delete(sessions).where(sessions.c.token_hash.in_(found)))

    def revoke_sessions(self, account: Account, keep_token: str | None = None) -> int:
        """End every session and token of the account but `keep_token`'s; how many ended."""
        query = delete(sessions).where(sessions.c.account_id == account.id)
        if keep_token is not None:
            query = query.where(sessions.c.token_hash != _hash(keep_token))
        with writing(self._engine) as conn:
            return conn.execute(query).rowcount

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
            select(accounts.c.id, accounts.c.username, accounts.c.did, accounts.c.language)
            .join(sessions, sessions.c.account_id == accounts.c.id)
            .where(sessions.c.token_hash == _hash(token), sessions.c.kind == kind)
            .where(sessions.c.expires_at > now_ms())
        )
        with self._engine.begin() as conn:
            row = conn.execute(query).first()
        return Account(row.id, row.username, row.did, row.language) if row else None

    def set_language(self, account: Account, language: str | None) -> Account:
        """Remember the language the member reads the pages in (None: their browser's)."""
        if language is not None and not LANGUAGE.fullmatch(language):
            raise P2PError("invalid_language", "not a language code", 422)
        with writing(self._engine) as conn:
            conn.execute(
                update(accounts).where(accounts.c.id == account.id).values(language=language)
            )
        return replace(account, language=language)

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
        return Account(row.id, row.username, row.did, row.language) if row else None

    def by_did(self, did: str) -> Account | None:
        with self._engine.begin() as conn:
            row = conn.execute(select(accounts).where(accounts.c.did == did)).first()
        return Account(row.id, row.username, row.did, row.language) if row else None

    def names(self, dids: list[str]) -> dict[str, str]:
        """Usernames of the given members who have accounts here."""
        query = select(accounts.c.did, accounts.c.username).where(accounts.c.did.in_(dids))
        with self._engine.begin() as conn:
            return {row.did: row.username for row in conn.execute(query)}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session_id(token_hash: str) -> str:
    """A session's public name: a prefix of its token's hash, which the token cannot be
    found from (nor the session used: that takes the token itself)."""
    return token_hash[:SESSION_ID_LENGTH]
