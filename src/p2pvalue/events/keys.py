"""Ed25519 key pairs and their `did:key` names."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import base58
import nacl.bindings
import nacl.exceptions
import nacl.public
import nacl.signing

ED25519_MULTICODEC = b"\xed\x01"
DID_KEY_PREFIX = "did:key:z"


KEY_BYTES = 32
SIG_BYTES = 64
# A signature claim: the author's raw public key, the signed bytes and the raw signature.
Claim = tuple[bytes, bytes, bytes]


def verifies(claim: Claim) -> bool:
    """Whether the Ed25519 signature of a claim verifies."""
    public, message, signature = claim
    if len(public) != KEY_BYTES or len(signature) != SIG_BYTES:
        return False
    try:
        nacl.bindings.crypto_sign_open(signature + message, public)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True


def did_from_public(public: bytes) -> str:
    """The `did:key` of an Ed25519 public key (multicodec 0xed, base58btc multibase)."""
    encoded: bytes = base58.b58encode(ED25519_MULTICODEC + public)
    return DID_KEY_PREFIX + encoded.decode("ascii")


@lru_cache(maxsize=65_536)
def public_from_did(did: str) -> bytes:
    """The raw public key named by an Ed25519 `did:key`; ValueError if it names none."""
    if not isinstance(did, str) or not did.startswith(DID_KEY_PREFIX) or len(did) > 80:
        raise ValueError("not an Ed25519 did:key")
    try:
        raw: bytes = base58.b58decode(did[len(DID_KEY_PREFIX) :])
    except ValueError as exc:
        raise ValueError("did:key is not base58btc") from exc
    if len(raw) != 34 or raw[:2] != ED25519_MULTICODEC:
        raise ValueError("did:key does not hold an Ed25519 key")
    if did_from_public(raw[2:]) != did:
        raise ValueError("did:key is not in its canonical form")
    return raw[2:]


def verify(did: str, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is the Ed25519 signature of `message` by the key `did` names."""
    try:
        _verify_key(did).verify(message, signature)
    except (ValueError, nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError):
        return False
    return True


def messaging_key(did: str) -> bytes:
    """The X25519 public key a sealed box to `did` is made for; ValueError if `did` names
    no Ed25519 key that converts."""
    try:
        return nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(public_from_did(did))
    except nacl.exceptions.CryptoError as exc:
        raise ValueError("the did's key has no X25519 form") from exc


@lru_cache(maxsize=65_536)
def _verify_key(did: str) -> nacl.signing.VerifyKey:
    return nacl.signing.VerifyKey(public_from_did(did))


@dataclass(frozen=True)
class KeyPair:
    """An Ed25519 signing key with its `did:key`."""

    seed: bytes

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @cached_property
    def _signing_key(self) -> nacl.signing.SigningKey:
        return nacl.signing.SigningKey(self.seed)

    @cached_property
    def did(self) -> str:
        return did_from_public(bytes(self._signing_key.verify_key))

    def sign(self, message: bytes) -> bytes:
        """The detached 64-byte signature of `message`."""
        return bytes(self._signing_key.sign(message).signature)

    @property
    def messaging_secret(self) -> nacl.public.PrivateKey:
        """The X25519 secret key that opens sealed boxes made for this key's did."""
        return self._signing_key.to_curve25519_private_key()
