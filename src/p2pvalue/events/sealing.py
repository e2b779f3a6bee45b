"""Sealed content of private spaces: the cryptography, with no I/O.

A private space has a secret *space key* (32 random bytes). Each event's content travels as
`{"space_key": kid, "ciphertext": b64u(nonce ‖ XChaCha20-Poly1305 ciphertext)}`: the event's
`content_hash` and signature cover that sealed form, so any node verifies the event whole
without reading it, and a changed ciphertext is a forged event. The ciphertext's
associated data binds it to the event's type and author, so a key holder cannot pass one
member's sealed words off as another's or as another kind of event.

`kid` names a key without revealing it: a keyed BLAKE2b hash of the key itself, so a
wrapped key proves which key it is once opened. A key reaches a member *wrapped*: in a
sealed box to the X25519 form of their did's Ed25519 key, which only their secret key
opens. A rotation's new key also seals, for whoever holds it, every older key of the space
(`previous`), so a member who receives the current key can read the whole history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import nacl.exceptions
import nacl.public
import nacl.secret
import nacl.utils
import orjson

from p2pvalue.errors import EventError
from p2pvalue.events.canonical import b64u, canonical, unb64u
from p2pvalue.events.keys import KeyPair, messaging_key

KEY_BYTES = nacl.secret.Aead.KEY_SIZE
_KID_PERSON = b"p2pvalue-skey"
_AAD_DOMAIN = b"p2pvalue-space\x00"


def new_key() -> bytes:
    return nacl.utils.random(KEY_BYTES)


def key_id(key: bytes) -> str:
    """The public name of a space key: 16 bytes of a keyed hash of it, as b64u."""
    return b64u(hashlib.blake2b(key, digest_size=16, person=_KID_PERSON).digest())


def _aad(type: str, author: str) -> bytes:
    return _AAD_DOMAIN + type.encode() + b"\x00" + author.encode()


def seal_content(key: bytes, type: str, author: str, content: Mapping[str, Any]) -> dict[str, Any]:
    """`content` sealed under the space key, as the event will carry it."""
    box = nacl.secret.Aead(key)
    sealed = bytes(box.encrypt(canonical(dict(content)), _aad(type, author)))
    return {"space_key": key_id(key), "ciphertext": b64u(sealed)}


def open_content(key: bytes, type: str, author: str, sealed: Mapping[str, Any]) -> dict[str, Any]:
    """The content inside a sealed one; refused as `undecryptable_content` if the key does
    not open it for this type and author, or what it holds is not a JSON object."""
    try:
        raw = unb64u(sealed["ciphertext"])
        plain = nacl.secret.Aead(key).decrypt(raw, _aad(type, author))
        content = orjson.loads(plain)
    except (ValueError, TypeError, nacl.exceptions.CryptoError, orjson.JSONDecodeError):
        raise EventError(
            "undecryptable_content", f"space key {sealed.get('space_key')!r} does not open it"
        ) from None
    if not isinstance(content, dict):
        raise EventError("undecryptable_content", "the sealed content is not a JSON object")
    return content


def wrap(did: str, key: bytes) -> str:
    """The space key in a sealed box only `did`'s secret key opens."""
    box = nacl.public.SealedBox(nacl.public.PublicKey(messaging_key(did)))
    return b64u(bytes(box.encrypt(key)))


def unwrap(keypair: KeyPair, wrapped: str) -> bytes | None:
    """The space key wrapped for `keypair`, or None if it was not wrapped for it."""
    try:
        key = bytes(nacl.public.SealedBox(keypair.messaging_secret).decrypt(unb64u(wrapped)))
    except (ValueError, nacl.exceptions.CryptoError):
        return None
    return key if len(key) == KEY_BYTES else None


def seal_previous(key: bytes, older: Mapping[str, bytes]) -> str:
    """The older keys of a space (by kid), sealed under its new key."""
    keys = {kid: b64u(value) for kid, value in sorted(older.items())}
    return b64u(bytes(nacl.secret.Aead(key).encrypt(canonical(keys), b"p2pvalue-previous")))


def open_previous(key: bytes, previous: str) -> dict[str, bytes]:
    """The older keys a rotation sealed under `key`: only those whose kid names them."""
    try:
        plain = nacl.secret.Aead(key).decrypt(unb64u(previous), b"p2pvalue-previous")
        found = orjson.loads(plain)
    except (ValueError, TypeError, nacl.exceptions.CryptoError, orjson.JSONDecodeError):
        return {}
    keys: dict[str, bytes] = {}
    if isinstance(found, dict):
        for kid, text in found.items():
            try:
                value = unb64u(text)
            except (ValueError, TypeError):
                continue
            if len(value) == KEY_BYTES and key_id(value) == kid:
                keys[kid] = value
    return keys
