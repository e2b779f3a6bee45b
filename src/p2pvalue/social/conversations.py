"""Direct messages as the pages show them: written, sealed and opened on this node for a
member who uses the pages.

A browser without JavaScript cannot seal, and the member's secret key lives on this node
anyway (sealed under the node's keyring, see `accounts`), so for the pages the node does
what a client would: it seals the text to the recipient's key and a copy to the sender's,
signs with the sender's key, and opens a member's messages with that member's key when
they read them. What is stored is ciphertext only, as with any client; what this does not
protect against is the operator of the node itself (see docs/social.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import nacl.exceptions
from sqlalchemy import Engine

from p2pvalue.accounts import Account, Accounts
from p2pvalue.errors import P2PError
from p2pvalue.events.canonical import b64u
from p2pvalue.events.event import now_ms
from p2pvalue.events.keys import KeyPair
from p2pvalue.social.messages import Messages, open_sealed, seal, sign_message
from p2pvalue.store import messages as store
from p2pvalue.store.database import writing
from p2pvalue.store.messages import StoredMessage

MAX_TEXT = 5000  # characters a message may hold
CONVERSATIONS_SHOWN = 50
MESSAGES_SHOWN = 100


@dataclass(frozen=True)
class Said:
    """One message as its reader sees it; `text` is None when it does not open here (sent
    by a client that kept no copy for its sender, or not sealed to the reader's key)."""

    id: str
    mine: bool
    text: str | None
    sent_at: int
    delivery: str | None


@dataclass(frozen=True)
class Conversation:
    """Whom a member talks with, the last thing said, and how many of theirs are unread."""

    other: str
    last: Said
    unread: int


def check_text(text: str) -> str:
    """The text to send, refused when empty or longer than `MAX_TEXT` characters."""
    text = text.strip()
    if not text:
        raise P2PError("empty_message", "Write something to send.", 422)
    if len(text) > MAX_TEXT:
        raise P2PError("message_too_long", f"A message holds at most {MAX_TEXT:,} characters; "
                       f"this one has {len(text):,}.", 422)  # fmt: skip
    return text


def said(keypair: KeyPair, message: StoredMessage) -> Said:
    """`message` opened with its reader's key: the sender reads their own copy."""
    mine = message.sender == keypair.did
    sealed = message.sender_copy if mine else message.ciphertext
    text = None
    if sealed is not None:
        try:
            text = open_sealed(keypair, sealed).decode("utf-8")
        except (nacl.exceptions.CryptoError, UnicodeDecodeError):
            text = None
    return Said(str(message.id), mine, text, message.sent_at, message.delivery)


class Conversations:
    """A member's conversations, for the pages."""

    def __init__(self, engine: Engine, accounts: Accounts, messages: Messages) -> None:
        self._engine = engine
        self._accounts = accounts
        self._messages = messages

    def write(self, account: Account, to: str, text: str) -> Said:
        """Seal `text` to `to` (and a copy to its writer), sign it with the writer's key and
        send it; refused, with nothing stored, as `Messages.send` refuses."""
        keypair = self._accounts.key_of(account)
        plain = check_text(text).encode("utf-8")
        sealed = seal(to, plain)
        copy = b64u(seal(account.did, plain))
        sent = self._messages.send(account, to, b64u(sealed), sign_message(keypair, to, sealed),
                                   copy)  # fmt: skip
        return Said(sent["id"], True, plain.decode("utf-8"), sent["sent_at"], sent["delivery"])

    def overview(self, account: Account) -> list[Conversation]:
        """Each member `account` wrote with, the most recent conversation first."""
        keypair = self._accounts.key_of(account)
        with self._engine.begin() as conn:
            latest = store.latest_per_other(conn, account.did, CONVERSATIONS_SHOWN)
            unread = store.unread_by_sender(conn, account.did)
        talks = [(_other(account.did, m), m) for m in latest]
        return [Conversation(other, said(keypair, m), unread.get(other, 0)) for other, m in talks]

    def read(self, account: Account, other: str) -> list[Said]:
        """The latest messages between `account` and `other`, oldest first; what `other`
        wrote is marked read."""
        keypair = self._accounts.key_of(account)
        with writing(self._engine) as conn:
            store.mark_read(conn, account.did, other, now_ms())
            kept = store.page(conn, account.did, other, None, MESSAGES_SHOWN)
        return [said(keypair, m) for m in reversed(kept)]


def _other(did: str, message: StoredMessage) -> str:
    return message.recipient if message.sender == did else message.sender
