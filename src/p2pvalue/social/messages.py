"""Direct messages, end-to-end encrypted: a sender seals each message to the recipient's
X25519 key (converted from their Ed25519 `did:key`) and signs the sealed bytes bound to the
recipient (`signed_bytes`); this node checks the signature, stores and relays the
ciphertext, and never sees a plaintext.

A message to a member who lives on another node (their latest `member.home` names it) is
kept here as the sender's copy and queued for that node (`federation.message_courier`
delivers it); `Messages.receive` is the other end, taking messages other nodes deliver.

`seal` and `open_sealed` are what a client runs; `Messages` is the node's side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import nacl.bindings
import nacl.exceptions
import nacl.public
import nacl.signing
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from p2pvalue.accounts import Account, Accounts
from p2pvalue.errors import Forbidden, NotFound, P2PError
from p2pvalue.events.canonical import b64u, unb64u
from p2pvalue.events.event import now_ms
from p2pvalue.events.keys import KeyPair, messaging_key, verify
from p2pvalue.store import message_outbox as outbox
from p2pvalue.store import messages as store
from p2pvalue.store.database import writing
from p2pvalue.store.messages import StoredMessage

MAX_CIPHERTEXT = 64 * 1024  # bytes of sealed box, after base64url decoding
MAX_CIPHERTEXT_TEXT = -(-MAX_CIPHERTEXT * 4 // 3)  # its base64url length, checked before decoding
SEAL_OVERHEAD = nacl.bindings.crypto_box_SEALBYTES  # ephemeral public key and MAC: 48 bytes
MAX_PAGE = 100
SIGNING_DOMAIN = b"p2pvalue-message\x00"
QUEUED, DELIVERED, REFUSED, FAILED = "queued", "delivered", "refused", "failed"
T = TypeVar("T")


def seal(recipient_did: str, plaintext: bytes) -> bytes:
    """`plaintext` in a sealed box only the holder of `recipient_did`'s key can open."""
    box = nacl.public.SealedBox(nacl.public.PublicKey(messaging_key(recipient_did)))
    return bytes(box.encrypt(plaintext))


def open_sealed(keypair: KeyPair, ciphertext: bytes) -> bytes:
    """The plaintext of a sealed box made for `keypair`; nacl's CryptoError if it was not."""
    return bytes(nacl.public.SealedBox(keypair.messaging_secret).decrypt(ciphertext))


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


def digest(sender: str, recipient: str, sealed: bytes) -> str:
    """A message's id on every node that holds it: the SHA-256 of the sender's did and the
    bytes they signed, as base64url. The sender is in it so that no one else can take a
    message's id by signing its sealed box themselves."""
    signed = sender.encode() + b"\x00" + signed_bytes(recipient, sealed)
    return b64u(hashlib.sha256(signed).digest())


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
        "delivery": message.delivery,
        "sender_copy": None if message.sender_copy is None else b64u(message.sender_copy),
    }


@dataclass(frozen=True)
class Sent:
    """A message as its sender hands it in: sealed, signed, and its digest."""

    sender: str
    to: str
    sealed: bytes
    signed: bytes
    key: str
    copy: bytes | None


@dataclass(frozen=True)
class Page:
    messages: list[dict[str, Any]]
    next: str | None


class Messages:
    """The sealed messages this node holds for its members, sends to other nodes, and takes
    from them."""

    def __init__(self, engine: Engine, accounts: Accounts, node: str) -> None:
        """`node` is this node's did: a member whose home names it lives here."""
        self._engine = engine
        self._accounts = accounts
        self._node = node
        self.wake: list[Callable[[], None]] = []  # what the courier registers

    def messaging_key(self, did: str) -> str:
        """`did`'s X25519 key as base64url, for a member this node knows."""
        self._known(did)
        return b64u(messaging_key(did))

    def send(
        self, account: Account, to: str, ciphertext: str, signature: str,
        sender_copy: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Store a sealed message from `account` to `to`, signed by the sender's key; for a
        recipient who lives on another node, keep the sender's copy and queue it there.
        `sender_copy`, the same message sealed to the sender's own key, stays here for the
        sender to read. The same message sent again is stored once (and queued again if its
        delivery failed or was refused)."""
        if to == account.did:
            raise _invalid("message_to_self", "a message goes to someone else")
        url = self._home_elsewhere(to)
        sealed = parse_ciphertext(ciphertext)
        copy = None if sender_copy is None else parse_ciphertext(sender_copy)
        signed = check_signature(account.did, to, sealed, signature)
        key = digest(account.did, to, sealed)
        sent = Sent(account.did, to, sealed, signed, key, copy)
        stored = self._write_once(lambda conn: self._keep_sent(conn, sent, url))
        if stored.delivery == QUEUED:
            for wake in self.wake:
                wake()
        return as_json(stored)

    def receive(
        self, node: str, sender: str, to: str, ciphertext: str, signature: str,
        sent_at: int | None = None,
    ) -> tuple[str, bool]:  # fmt: skip
        """Take a message the node `node` delivers for a member of this node: (its digest,
        whether it is new here). Refused, with nothing stored, unless the recipient has an
        account here, `node` is the sender's home as far as this node knows, and the
        signature is the sender's. `sent_at`, as the sending node says, is kept unless it
        is in the future."""
        for did in (sender, to):
            _check_did(did)
        if sender == to:
            raise _invalid("message_to_self", "a message goes to someone else")
        sealed = parse_ciphertext(ciphertext)
        self._check_delivery(node, sender, to)
        try:
            signed = check_signature(sender, to, sealed, signature)
        except P2PError:
            raise _invalid("bad_sender_signature", "the signature is not the sender's over "
                           "this message to its recipient") from None  # fmt: skip
        key = digest(sender, to, sealed)
        at = now_ms() if sent_at is None else max(0, min(sent_at, now_ms()))

        def keep(conn: Connection) -> bool:
            if store.by_digest(conn, key) is not None:
                return False
            store.add(conn, sender, to, sealed, signed, at, digest=key, sender_keeps=False)
            return True

        return key, self._write_once(keep)

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

    def _keep_sent(self, conn: Connection, sent: Sent, url: str | None) -> store.StoredMessage:
        """The sender's copy of a message, stored now (and queued when `url` names the
        recipient's node), or as it was stored before."""
        sender, to, sealed, signed, key = sent.sender, sent.to, sent.sealed, sent.signed, sent.key
        at = now_ms()
        found = store.by_digest(conn, key)
        if found is None:
            if url is not None:
                outbox.enqueue(conn, key, url, sender, to, sealed, signed, at, at)
            delivery = None if url is None else QUEUED
            return store.add(conn, sender, to, sealed, signed, at, digest=key,
                             delivery=delivery, recipient_keeps=url is None,
                             sender_copy=sent.copy)  # fmt: skip
        if url is None or found.delivery not in (FAILED, REFUSED):
            store.keep_sent(conn, key, None)
            return found
        outbox.enqueue(conn, key, url, sender, to, sealed, signed, found.sent_at, at)
        store.keep_sent(conn, key, QUEUED)
        return replace(found, delivery=QUEUED)

    def _write_once(self, write: Callable[[Connection], T]) -> T:
        """Run a write of one message. Two writes of the same message at once (on
        PostgreSQL) meet the unique digest: the second, run again, finds the first's row."""
        try:
            with writing(self._engine) as conn:
                return write(conn)
        except IntegrityError:
            with writing(self._engine) as conn:
                return write(conn)

    def _home_elsewhere(self, did: str) -> str | None:
        """The URL of the node `did` lives on, if not this one; None for a member with an
        account here. Refused for anyone else."""
        self._known(did)
        with self._engine.begin() as conn:
            home = store.home_of(conn, did)
            account = store.has_account(conn, did)
        if home is not None and home[0] != self._node:
            return home[1]
        if account:
            return None
        raise NotFound("unknown_home", "this node knows no other node where this member lives")

    def _check_delivery(self, node: str, sender: str, to: str) -> None:
        """A node may deliver only to an account here, and only messages of members who live
        on it as far as this node knows: their latest home, else here if they have an
        account here. A sender this node knows nothing of is taken on their signature."""
        with self._engine.begin() as conn:
            if not store.has_account(conn, to):
                raise NotFound("unknown_recipient", "no account on this node has this did")
            home = store.home_of(conn, sender)
            lives_here = home is None and store.has_account(conn, sender)
        if home is not None:
            senders_node = home[0]
        elif lives_here:
            senders_node = self._node
        else:
            return
        if senders_node != node:
            raise Forbidden("not_senders_home", "the sender lives on another node as far as "
                            "this node knows: only that node delivers their messages")  # fmt: skip

    def _known(self, did: str) -> None:
        _check_did(did)
        with self._engine.begin() as conn:
            if not store.is_known(conn, did):
                raise NotFound("unknown_member", "this node knows no member with this did")


def _check_did(did: str) -> None:
    try:
        messaging_key(did)
    except ValueError:
        raise _invalid("bad_did", "a member is named by an Ed25519 did:key") from None
