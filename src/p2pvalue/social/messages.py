"""Direct messages, end-to-end encrypted: a sender seals each message to the recipient's
X25519 key (converted from their Ed25519 `did:key`) and signs the sealed bytes bound to the
recipient (`signed_bytes`); this node checks the signature, stores and relays the
ciphertext, and never sees a plaintext.

`seal` and `open_sealed` are what a client runs; `Messages` is the node's side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import nacl.bindings
import nacl.exceptions
import nacl.public
import nacl.signing
from sqlalchemy import Engine

from p2pvalue.accounts import Account, Accounts
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.canonical import b64u, unb64u
from p2pvalue.events.event import now_ms
from p2pvalue.events.keys import KeyPair, public_from_did, verify
from p2pvalue.store import messages as store
from p2pvalue.store.database import writing
from p2pvalue.store.messages import StoredMessage

MAX_CIPHERTEXT = 64 * 1024  # bytes of sealed box, after base64url decoding
MAX_CIPHERTEXT_TEXT = -(-MAX_CIPHERTEXT * 4 // 3)  # its base64url length, checked before decoding
SEAL_OVERHEAD = nacl.bindings.crypto_box_SEALBYTES  # ephemeral public key and MAC: 48 bytes
MAX_PAGE = 100
SIGNING_DOMAIN = b"p2pvalue-message\x00"


def messaging_key(did: str) -> bytes:
    """The X25519 public key a sealed box to `did` is made for; ValueError if `did` names
    no Ed25519 key that converts."""
    try:
        return nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(public_from_did(did))
    except nacl.exceptions.CryptoError as exc:
        raise ValueError("the did's key has no X25519 form") from exc


def seal(recipient_did: str, plaintext: bytes) -> bytes:
    """`plaintext` in a sealed box only the holder of `recipient_did`'s key can open."""
    box = nacl.public.SealedBox(nacl.public.PublicKey(messaging_key(recipient_did)))
    return bytes(box.encrypt(plaintext))


def open_sealed(keypair: KeyPair, ciphertext: bytes) -> bytes:
    """The plaintext of a sealed box made for `keypair`; nacl's CryptoError if it was not."""
    private = nacl.signing.SigningKey(keypair.seed).to_curve25519_private_key()
    return bytes(nacl.public.SealedBox(private).decrypt(ciphertext))


def _invalid(code: str, message: str, status: int = 422) -> P2PError:
    return P2PError(code, message, status)


def parse_ciphertext(text: str) -> bytes:
    """The sealed box sent as base64url text, refused when too large or not a sealed box."""
    if len(text) > MAX_CIPHERTEXT_TEXT:
        raise _invalid("message_too_large", f"at most {MAX_CIPHERTEXT} bytes sealed", 413)
    try:
        sealed = unb64u(text)
    except ValueError:
        raise _invalid("bad_ciphertext", "the ciphertext is not unpadded base64url") from None
    if len(sealed) > MAX_CIPHERTEXT:
        raise _invalid("message_too_large", f"at most {MAX_CIPHERTEXT} bytes sealed", 413)
    if len(sealed) <= SEAL_OVERHEAD:
        raise _invalid("bad_ciphertext", f"a sealed box is over {SEAL_OVERHEAD} bytes")
    return sealed


def signed_bytes(recipient: str, sealed: bytes) -> bytes:
    """What a sender signs: the sealed box bound to its recipient, under a prefix of its own,
    so a signature can be neither moved to another recipient nor taken for another kind of
    signature by the same key."""
    return SIGNING_DOMAIN + recipient.encode() + b"\x00" + sealed


def sign_message(keypair: KeyPair, recipient: str, sealed: bytes) -> str:
    """The sender's signature of a sealed message to `recipient`, as base64url."""
    return b64u(keypair.sign(signed_bytes(recipient, sealed)))


def check_signature(sender: str, recipient: str, sealed: bytes, signature: str) -> bytes:
    """The sender's Ed25519 signature of the sealed bytes for `recipient`, refused unless it
    verifies."""
    try:
        raw = unb64u(signature)
    except ValueError:
        raw = b""
    if not verify(sender, signed_bytes(recipient, sealed), raw):
        raise _invalid(
            "bad_signature", "the signature is not the sender's over this message to its recipient"
        )
    return raw


def parse_cursor(before: str | None) -> int | None:
    if before is None:
        return None
    if not before.isdigit() or len(before) > 18:
        raise _invalid("bad_cursor", "a cursor is a page's `next`")
    return int(before)


def as_json(message: StoredMessage) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "from": message.sender,
        "to": message.recipient,
        "ciphertext": b64u(message.ciphertext),
        "signature": b64u(message.signature),
        "sent_at": message.sent_at,
    }


@dataclass(frozen=True)
class Page:
    messages: list[dict[str, Any]]
    next: str | None


class Messages:
    """The sealed messages this node holds for its members and relays to others."""

    def __init__(self, engine: Engine, accounts: Accounts) -> None:
        self._engine = engine
        self._accounts = accounts

    def messaging_key(self, did: str) -> str:
        """`did`'s X25519 key as base64url, for a member this node knows."""
        self._known(did)
        return b64u(messaging_key(did))

    def send(self, account: Account, to: str, ciphertext: str, signature: str) -> dict[str, Any]:
        """Store a sealed message from `account` to `to`, signed by the sender's key."""
        if to == account.did:
            raise _invalid("message_to_self", "a message goes to someone else")
        self._known(to)
        sealed = parse_ciphertext(ciphertext)
        signed = check_signature(account.did, to, sealed, signature)
        with writing(self._engine) as conn:
            stored = store.add(conn, account.did, to, sealed, signed, now_ms())
        return as_json(stored)

    def page(self, did: str, other: str | None, before: str | None, limit: int) -> Page:
        """`did`'s messages (with `other` only, when given) newest first, before the cursor."""
        cursor = parse_cursor(before)
        with self._engine.begin() as conn:
            found = store.page(conn, did, other, cursor, limit + 1)
        shown = found[:limit]
        more = len(found) > limit
        return Page([as_json(m) for m in shown], str(shown[-1].id) if more else None)

    def remove(self, account: Account, message_id: str) -> bool:
        """Take a message out of `account`'s view; True when no one keeps it and it is erased."""
        number = int(message_id) if message_id.isdigit() and len(message_id) <= 18 else None
        with writing(self._engine) as conn:
            erased = None if number is None else store.remove(conn, account.did, number)
        if erased is None:
            raise NotFound("unknown_message", "no such message in your view")
        return erased

    def _known(self, did: str) -> None:
        try:
            messaging_key(did)
        except ValueError:
            raise _invalid("bad_did", "a member is named by an Ed25519 did:key") from None
        with self._engine.begin() as conn:
            if not store.is_known(conn, did):
                raise NotFound("unknown_member", "this node knows no member with this did")
