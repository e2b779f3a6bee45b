"""Direct messages: sealing and opening (pure PyNaCl), the ciphertext and signature rules,
and the message service on each backend: known recipients, paging, removal and erasure,
messages queued for members of other nodes, and messages other nodes deliver here."""

from __future__ import annotations

import nacl.exceptions
import pytest
from sqlalchemy import select

from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.events.canonical import b64u, unb64u
from p2pvalue.events.keys import KeyPair
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.social.messages import (
    MAX_CIPHERTEXT,
    SEAL_OVERHEAD,
    check_signature,
    digest,
    open_sealed,
    parse_ciphertext,
    seal,
    sign_message,
)
from p2pvalue.store import message_outbox as outbox
from p2pvalue.store.schema import messages

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
    sent: str = node.service(Social).messages.send(sender, to, b64u(sealed), signature)["id"]
    return sent


def test_the_service_pages_a_conversation_newest_first(node: Node) -> None:
    ana, ben, cyd = (node.accounts.register(n, PASSWORD) for n in ("ana", "ben", "cyd"))
    ids = [_send(node, ana, ben.did, f"note {i}".encode()) for i in range(5)]
    other = _send(node, cyd, ben.did, b"from cyd")
    messages = node.service(Social).messages

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
    assert node.service(Social).messages.remove(ana, sent) is False
    assert node.service(Social).messages.page(ana.did, None, None, 10).messages == []
    assert [
        m["id"] for m in node.service(Social).messages.page(ben.did, None, None, 10).messages
    ] == [sent]
    assert _code(node.service(Social).messages.remove, ana, sent) == ("unknown_message", 404)
    assert node.service(Social).messages.remove(ben, sent) is True
    assert _code(node.service(Social).messages.remove, ben, sent) == ("unknown_message", 404)


def test_recipients_must_be_known_here_and_not_yourself(node: Node) -> None:
    ana, ben = (node.accounts.register(n, PASSWORD) for n in ("ana", "ben"))
    stranger = KeyPair.generate().did
    sealed = seal(stranger, b"hi")
    signature = sign_message(node.accounts.key_of(ana), stranger, sealed)
    refusal = _code(node.service(Social).messages.send, ana, stranger, b64u(sealed), signature)
    assert refusal == ("unknown_member", 404)
    assert _code(node.service(Social).messages.messaging_key, stranger) == ("unknown_member", 404)
    assert _code(node.service(Social).messages.messaging_key, "did:key:zNope") == ("bad_did", 422)
    assert _code(node.service(Social).messages.send, ana, ana.did, b64u(sealed), signature) == (
        "message_to_self", 422)  # fmt: skip

    space = node.create_space(ben, "Makers").id
    assert space is not None
    remote = KeyPair.generate()
    assert node.writer.act(remote, space, "member.join", {}).status == "accepted"
    assert node.service(Social).messages.messaging_key(remote.did)
    # A member of a space here, but with no account here and no home this node knows of.
    sealed = seal(remote.did, b"welcome")
    signature = sign_message(node.accounts.key_of(ana), remote.did, sealed)
    refusal = _code(node.service(Social).messages.send, ana, remote.did, b64u(sealed), signature)
    assert refusal == ("unknown_home", 404)
    assert _queued(node) == []


def _queued(node: Node) -> list[outbox.Queued]:
    with node.engine.begin() as conn:
        return outbox.due(conn, 2**62, 100)


def _rows(node: Node) -> list[tuple[str, str, bool, bool, str | None]]:
    with node.engine.begin() as conn:
        rows = conn.execute(select(messages).order_by(messages.c.id))
        return [(r.sender, r.recipient, r.sender_keeps, r.recipient_keeps, r.delivery)
                for r in rows]  # fmt: skip


def _living_elsewhere(node: Node, founder: Account, url: str) -> tuple[KeyPair, KeyPair]:
    """A member of a space here whose home is another node; (their key, that node's key)."""
    space = node.create_space(founder, "Makers").id
    assert space is not None
    member, other = KeyPair.generate(), KeyPair.generate()
    assert node.writer.act(member, space, "member.join", {}).status == "accepted"
    home = {"node": other.did, "url": url}
    assert node.writer.act(member, space, "member.home", home).status == "accepted"
    return member, other


def test_a_message_to_a_member_of_another_node_is_kept_and_queued_once(node: Node) -> None:
    ana, ben = (node.accounts.register(n, PASSWORD) for n in ("ana", "ben"))
    cyd, _ = _living_elsewhere(node, ben, "https://other.example/")
    sealed = seal(cyd.did, b"see you at the fab lab")
    signature = sign_message(node.accounts.key_of(ana), cyd.did, sealed)

    sent = node.service(Social).messages.send(ana, cyd.did, b64u(sealed), signature)
    again = node.service(Social).messages.send(ana, cyd.did, b64u(sealed), signature)

    assert (sent["delivery"], again["id"], again["delivery"]) == ("queued", sent["id"], "queued")
    [queued] = _queued(node)
    assert (queued.url, queued.sender, queued.recipient) == (
        "https://other.example", ana.did, cyd.did)  # fmt: skip
    assert (queued.ciphertext, queued.digest) == (sealed, digest(ana.did, cyd.did, sealed))
    # The sender's copy only: the recipient reads their messages on their own node.
    assert _rows(node) == [(ana.did, cyd.did, True, False, "queued")]
    assert [
        m["id"] for m in node.service(Social).messages.page(ana.did, None, None, 10).messages
    ] == [sent["id"]]
    assert node.service(Social).messages.remove(ana, sent["id"]) is True
    assert len(_queued(node)) == 1  # what was sent is still delivered


def test_a_delivered_message_is_stored_once_for_its_recipient(node: Node) -> None:
    ben = node.accounts.register("ben", PASSWORD)
    stranger, their_node = KeyPair.generate(), KeyPair.generate()
    sealed = seal(ben.did, b"hello from afar")
    signature = sign_message(stranger, ben.did, sealed)

    messages = node.service(Social).messages
    first = messages.receive(their_node.did, stranger.did, ben.did, b64u(sealed),
                             signature, 1_700_000_000_000)  # fmt: skip
    second = messages.receive(their_node.did, stranger.did, ben.did, b64u(sealed),
                              signature, 1_700_000_000_000)  # fmt: skip

    assert first == (digest(stranger.did, ben.did, sealed), True)
    assert second == (first[0], False)
    [message] = node.service(Social).messages.page(ben.did, None, None, 10).messages
    assert (message["from"], message["sent_at"], message["delivery"]) == (
        stranger.did, 1_700_000_000_000, None)  # fmt: skip
    assert open_sealed(node.accounts.key_of(ben), unb64u(message["ciphertext"])) == (
        b"hello from afar")  # fmt: skip
    assert _rows(node) == [(stranger.did, ben.did, False, True, None)]
    assert node.service(Social).messages.remove(ben, message["id"]) is True
    assert _rows(node) == []


def test_a_delivery_is_refused_unless_it_comes_from_the_senders_home(node: Node) -> None:
    ana, ben = (node.accounts.register(n, PASSWORD) for n in ("ana", "ben"))
    cyd, cyds_node = _living_elsewhere(node, ben, "https://other.example")
    hostile = KeyPair.generate()

    def deliver(by: KeyPair, sender: KeyPair, to: str) -> tuple[str, bool]:
        sealed = seal(to, b"hi")
        return node.service(Social).messages.receive(by.did, sender.did, to, b64u(sealed),
                                     sign_message(sender, to, sealed))  # fmt: skip

    def refused(*args: object) -> tuple[str, int]:
        return _code(deliver, *args)

    ana_key = node.accounts.key_of(ana)
    assert refused(hostile, cyd, ben.did) == ("not_senders_home", 403)
    assert refused(cyds_node, ana_key, ben.did) == ("not_senders_home", 403)  # ana lives here
    assert refused(cyds_node, cyd, KeyPair.generate().did) == ("unknown_recipient", 404)
    assert refused(cyds_node, cyd, cyd.did) == ("message_to_self", 422)
    sealed = seal(ben.did, b"hi")
    forged = sign_message(hostile, ben.did, sealed)
    receive = node.service(Social).messages.receive
    assert _code(receive, cyds_node.did, cyd.did, ben.did, b64u(sealed),
                 forged) == ("bad_sender_signature", 422)  # fmt: skip
    too_big = b64u(b"\0" * (MAX_CIPHERTEXT + 1))
    assert _code(receive, cyds_node.did, cyd.did, ben.did, too_big,
                 forged) == ("message_too_large", 413)  # fmt: skip
    assert _code(receive, cyds_node.did, "did:key:zNope", ben.did, b64u(sealed),
                 forged) == ("bad_did", 422)  # fmt: skip
    assert _rows(node) == []

    assert deliver(cyds_node, cyd, ben.did)[1] is True
    assert [r[:2] for r in _rows(node)] == [(cyd.did, ben.did)]


def test_the_digest_names_sender_recipient_and_sealed_box() -> None:
    ana, ben, cyd = (KeyPair.generate().did for _ in range(3))
    sealed = seal(ben, b"x")
    assert len(digest(ana, ben, sealed)) == 43
    assert len({digest(ana, ben, sealed), digest(cyd, ben, sealed), digest(ana, cyd, sealed),
                digest(ana, ben, seal(ben, b"x"))}) == 4  # fmt: skip
