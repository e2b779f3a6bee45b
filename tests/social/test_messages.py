"""Direct messages: sealing and opening (pure PyNaCl), the ciphertext and signature rules,
and the message service on each backend: known recipients, paging, removal and erasure."""

from __future__ import annotations

import nacl.exceptions
import pytest

from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.events.canonical import b64u, unb64u
from p2pvalue.events.keys import KeyPair
from p2pvalue.node import Node
from p2pvalue.social.messages import (
    MAX_CIPHERTEXT,
    SEAL_OVERHEAD,
    check_signature,
    open_sealed,
    parse_ciphertext,
    seal,
    sign_message,
)

PASSWORD = "correct horse battery"


def _code(call: object, *args: object) -> tuple[str, int]:
    with pytest.raises(P2PError) as refused:
        call(*args)  # type: ignore[operator]
    return refused.value.code, refused.value.status


def test_only_the_recipient_opens_a_sealed_message() -> None:
    ana, ben = KeyPair.generate(), KeyPair.generate()
    sealed = seal(ben.did, b"meet at noon")
    assert len(sealed) == SEAL_OVERHEAD + len(b"meet at noon")
    assert open_sealed(ben, sealed) == b"meet at noon"
    assert seal(ben.did, b"meet at noon") != sealed
    with pytest.raises(nacl.exceptions.CryptoError):
        open_sealed(ana, sealed)


def test_ciphertext_and_signature_rules() -> None:
    ana = KeyPair.generate()
    sealed = seal(KeyPair.generate().did, b"x")
    assert parse_ciphertext(b64u(sealed)) == sealed
    assert _code(parse_ciphertext, "not base64!") == ("bad_ciphertext", 422)
    assert _code(parse_ciphertext, b64u(b"\0" * SEAL_OVERHEAD)) == ("bad_ciphertext", 422)
    too_big = b64u(b"\0" * (MAX_CIPHERTEXT + 1))
    assert _code(parse_ciphertext, too_big) == ("message_too_large", 413)
    assert parse_ciphertext(b64u(b"\0" * MAX_CIPHERTEXT)) == b"\0" * MAX_CIPHERTEXT
    ben, cyd = KeyPair.generate().did, KeyPair.generate().did
    signature = sign_message(ana, ben, sealed)
    assert check_signature(ana.did, ben, sealed, signature) == unb64u(signature)
    forged = sign_message(KeyPair.generate(), ben, sealed)
    assert _code(check_signature, ana.did, ben, sealed, forged) == ("bad_signature", 422)
    assert _code(check_signature, ana.did, ben, sealed, "%%") == ("bad_signature", 422)
    # A signature binds its recipient, and is not a bare signature of the ciphertext.
    assert _code(check_signature, ana.did, cyd, sealed, signature) == ("bad_signature", 422)
    bare = b64u(ana.sign(sealed))
    assert _code(check_signature, ana.did, ben, sealed, bare) == ("bad_signature", 422)


def _send(node: Node, sender: Account, to: str, text: bytes) -> str:
    sealed = seal(to, text)
    signature = sign_message(node.accounts.key_of(sender), to, sealed)
    sent: str = node.messages.send(sender, to, b64u(sealed), signature)["id"]
    return sent


def test_the_service_pages_a_conversation_newest_first(node: Node) -> None:
    ana, ben, cyd = (node.accounts.register(n, PASSWORD) for n in ("ana", "ben", "cyd"))
    ids = [_send(node, ana, ben.did, f"note {i}".encode()) for i in range(5)]
    other = _send(node, cyd, ben.did, b"from cyd")
    messages = node.messages

    seen, cursor = [], None
    while True:
        page = messages.page(ben.did, ana.did, cursor, 2)
        seen += page.messages
        if page.next is None:
            break
        cursor = page.next
    assert [m["id"] for m in seen] == list(reversed(ids))
    opened = [open_sealed(node.accounts.key_of(ben), unb64u(m["ciphertext"])) for m in seen]
    assert opened[0] == b"note 4"
    assert [m["id"] for m in messages.page(ben.did, None, None, 50).messages] == [
        other, *reversed(ids)]  # fmt: skip
    assert [m["id"] for m in messages.page(cyd.did, None, None, 50).messages] == [other]


def test_a_message_is_erased_once_both_sides_removed_it(node: Node) -> None:
    ana, ben = (node.accounts.register(n, PASSWORD) for n in ("ana", "ben"))
    sent = _send(node, ana, ben.did, b"hello")
    assert node.messages.remove(ana, sent) is False
    assert node.messages.page(ana.did, None, None, 10).messages == []
    assert [m["id"] for m in node.messages.page(ben.did, None, None, 10).messages] == [sent]
    assert _code(node.messages.remove, ana, sent) == ("unknown_message", 404)
    assert node.messages.remove(ben, sent) is True
    assert _code(node.messages.remove, ben, sent) == ("unknown_message", 404)


def test_recipients_must_be_known_here_and_not_yourself(node: Node) -> None:
    ana, ben = (node.accounts.register(n, PASSWORD) for n in ("ana", "ben"))
    stranger = KeyPair.generate().did
    sealed = seal(stranger, b"hi")
    signature = sign_message(node.accounts.key_of(ana), stranger, sealed)
    refusal = _code(node.messages.send, ana, stranger, b64u(sealed), signature)
    assert refusal == ("unknown_member", 404)
    assert _code(node.messages.messaging_key, stranger) == ("unknown_member", 404)
    assert _code(node.messages.messaging_key, "did:key:zNope") == ("bad_did", 422)
    assert _code(node.messages.send, ana, ana.did, b64u(sealed), signature) == (
        "message_to_self", 422)  # fmt: skip

    space = node.create_space(ben, "Makers").id
    assert space is not None
    remote = KeyPair.generate()
    assert node.writer.act(remote, space, "member.join", {}).status == "accepted"
    assert node.messages.messaging_key(remote.did)
    assert _send(node, ana, remote.did, b"welcome")
