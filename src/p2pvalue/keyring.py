"""The space keys a node can use: those wrapped for its own members.

Keys are learned from the events that carry them (a private space's founding event and its
`space.key` events) as those pass the write path, and kept sealed under the node's keyring.
A node none of whose members holds a space's key never learns it: it keeps and relays the
space's events without reading them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import nacl.secret
from sqlalchemy import Connection

from p2pvalue.events.keys import KeyPair
from p2pvalue.events.sealing import key_id, open_previous, unwrap
from p2pvalue.store import keys as store


class Keyring:
    def __init__(self, secret: bytes, key_of: Callable[[str], KeyPair | None]) -> None:
        """`secret` is the node's keyring; `key_of` gives the signing key of one of this
        node's members by did (None for anyone else)."""
        derived = hashlib.blake2b(secret, digest_size=32, person=b"p2pvalue-skeys").digest()
        self._box = nacl.secret.SecretBox(derived)
        self._key_of = key_of
        self._cache: dict[str, dict[str, bytes]] = {}

    def keys(self, conn: Connection, space: str) -> dict[str, bytes]:
        """Every key of `space` this node holds, by kid."""
        cached = self._cache.get(space)
        if cached is None:
            sealed = store.sealed_keys(conn, space)
            cached = {kid: bytes(self._box.decrypt(value)) for kid, value in sealed.items()}
            self._cache[space] = cached
        return cached

    def learn(self, conn: Connection, space: str, content: Mapping[str, Any]) -> dict[str, bytes]:
        """The keys new to this node that a founding or `space.key` content gives its members
        (with the older keys a rotation seals under its new one), recorded in `conn`."""
        held = self.keys(conn, space)
        kid = content["space_key"]
        key = held.get(kid)
        found: dict[str, bytes] = {}
        if key is None:
            key = self._unwrap(conn, kid, content["wraps"])
            if key is not None:
                found[kid] = key
        if key is not None and content.get("previous"):
            older = open_previous(key, content["previous"])
            found.update({k: v for k, v in older.items() if k not in held})
        if found:
            sealed = {k: bytes(self._box.encrypt(v)) for k, v in found.items()}
            store.add(conn, space, sealed)
            held.update(found)
        return found

    def forget(self) -> None:
        """Drop what is cached (after a rolled-back write, which may have learned keys)."""
        self._cache.clear()

    def _unwrap(self, conn: Connection, kid: str, wraps: Mapping[str, str]) -> bytes | None:
        for did in store.local_dids(conn, sorted(wraps)):
            pair = self._key_of(did)
            key = unwrap(pair, wraps[did]) if pair is not None else None
            if key is not None and key_id(key) == kid:
                return key
        return None
