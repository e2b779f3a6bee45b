"""The courier delivers sealed messages to their recipients' nodes (federation/
message_courier.py): this node (on each backend) sends to a second node served on loopback,
whose answers decide each delivery: delivered, refused for good, or tried again until the
last attempt fails."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import update

from conftest import LIGHT_HASHING
from p2pvalue.accounts import Account
from p2pvalue.config import init_data_dir
from p2pvalue.events.canonical import b64u, unb64u
from p2pvalue.events.keys import KeyPair
from p2pvalue.federation.message_courier import (
    MAX_ATTEMPTS,
    MAX_BACKOFF_S,
    MessageCourier,
    backoff_ms,
    outcome_of,
)
from p2pvalue.node import Node
from p2pvalue.outbound import LOOPBACK
from p2pvalue.social import Social
from p2pvalue.social.messages import open_sealed, seal, sign_message
from p2pvalue.store import message_outbox as outbox
from p2pvalue.store.database import writing
from p2pvalue.store.schema import message_outbox
from p2pvalue.web.app import create_app
from serving import loopback, served, url_of

PASSWORD = "correct horse battery"


@dataclass
class Pair:
    """This node, where `ana` lives and `space` is held, and another node served at `url`."""

    here: Node
    there: Node
    url: str
    ana: Account
    space: str

    def living_there(self, name: str, *, account: bool = True, url: str | None = None) -> KeyPair:
        """A member whose home is the other node (with an account there or not), who joined
        the space here."""
        if account:
            key = self.there.accounts.key_of(self.there.accounts.register(name, PASSWORD))
        else:
            key = KeyPair.generate()
        home = {"node": self.there.did, "url": url or self.url}
        for type, content in (("member.join", {}), ("member.home", home)):
            assert self.here.writer.act(key, self.space, type, content).status == "accepted"
        return key

    def send(self, to: str, plaintext: bytes) -> dict[str, object]:
        sealed = seal(to, plaintext)
        signature = sign_message(self.here.accounts.key_of(self.ana), to, sealed)
        return self.here.service(Social).messages.send(self.ana, to, b64u(sealed), signature)

    def deliver(self) -> int:
        async def once() -> int:
            courier = MessageCourier(self.here.wiring)
            try:
                return await courier.deliver_due()
            finally:
                await courier.close()

        return asyncio.run(once())

    def queued(self) -> list[outbox.Queued]:
        with self.here.engine.begin() as conn:
            return outbox.due(conn, 2**62, 100)

    def make_due(self, attempts: int | None = None) -> None:
        values: dict[str, int] = {"next_at": 0}
        if attempts is not None:
            values["attempts"] = attempts
        with writing(self.here.engine) as conn:
            conn.execute(update(message_outbox).values(**values))

    def delivery(self) -> list[object]:
        return [
            m["delivery"]
            for m in self.here.service(Social).messages.page(self.ana.did, None, None, 10).messages
        ]


@pytest.fixture
def pair(tmp_path: Path, database_url: str | None) -> Iterator[Pair]:
    listener = loopback()
    # Both nodes are on loopback, which the courier reaches only when told it may.
    here = Node(init_data_dir(tmp_path / "here", database_url, outbound_allow=LOOPBACK),
                password_hasher=LIGHT_HASHING)  # fmt: skip
    there = Node(init_data_dir(tmp_path / "there", public_url=url_of(listener)),
                 password_hasher=LIGHT_HASHING)  # fmt: skip
    with here as node, there, served(create_app(there), listener) as url:
        ana = node.accounts.register("ana", PASSWORD)
        space = str(node.create_space(ana, "Makers").id)
        yield Pair(node, there, url, ana, space)


def test_a_message_reaches_its_recipient_on_the_other_node(pair: Pair) -> None:
    ben = pair.living_there("ben")
    sent = pair.send(ben.did, b"the lathe is free tomorrow")
    assert sent["delivery"] == "queued"

    assert pair.deliver() == 1

    assert pair.queued() == []
    assert pair.delivery() == ["delivered"]
    [received] = pair.there.service(Social).messages.page(ben.did, None, None, 10).messages
    assert (received["from"], received["to"]) == (pair.ana.did, ben.did)
    assert open_sealed(ben, unb64u(str(received["ciphertext"]))) == b"the lathe is free tomorrow"
    assert received["signature"] == sent["signature"]


def test_a_node_that_will_never_take_it_refuses_the_delivery(pair: Pair) -> None:
    gone = pair.living_there("gone", account=False)  # their node has no account for them
    sealed = seal(gone.did, b"hello?")
    signature = sign_message(pair.here.accounts.key_of(pair.ana), gone.did, sealed)
    pair.here.service(Social).messages.send(pair.ana, gone.did, b64u(sealed), signature)

    assert pair.deliver() == 0

    assert pair.queued() == []
    assert pair.delivery() == ["refused"]
    # The same message sent again is queued once more (its recipient may have moved).
    again = pair.here.service(Social).messages.send(pair.ana, gone.did, b64u(sealed), signature)
    assert (again["delivery"], len(pair.queued()), pair.delivery()) == ("queued", 1, ["queued"])


def test_an_unreachable_node_is_tried_again_until_the_last_attempt(pair: Pair) -> None:
    closed = loopback()
    url = url_of(closed)
    closed.close()  # nothing listens there now
    ben = pair.living_there("ben", url=url)
    pair.send(ben.did, b"anyone home?")

    assert pair.deliver() == 0
    [waiting] = pair.queued()
    assert (waiting.attempts, pair.delivery()) == (1, ["queued"])
    assert pair.deliver() == 0  # not due yet: backing off
    assert pair.queued()[0].attempts == 1

    pair.make_due(attempts=MAX_ATTEMPTS - 1)
    pair.deliver()
    assert (pair.queued(), pair.delivery()) == ([], ["failed"])


def test_a_failed_message_sent_again_is_queued_again(pair: Pair) -> None:
    closed = loopback()
    url = url_of(closed)
    closed.close()
    ben = pair.living_there("ben", url=url)
    sealed = seal(ben.did, b"once more")
    signature = sign_message(pair.here.accounts.key_of(pair.ana), ben.did, sealed)
    first = pair.here.service(Social).messages.send(pair.ana, ben.did, b64u(sealed), signature)
    pair.make_due(attempts=MAX_ATTEMPTS - 1)
    pair.deliver()
    assert pair.delivery() == ["failed"]

    again = pair.here.service(Social).messages.send(pair.ana, ben.did, b64u(sealed), signature)

    assert (again["id"], again["delivery"], len(pair.queued())) == (first["id"], "queued", 1)


def test_answers_decide_and_backoff_doubles_up_to_an_hour() -> None:
    assert [outcome_of(s) for s in (200, 201, 202, 400, 403, 404, 413, 422)] == [
        "delivered", "delivered", "delivered", "refused", "refused", "refused", "refused",
        "refused"]  # fmt: skip
    assert [outcome_of(s) for s in (401, 408, 429, 500, 503)] == [None] * 5
    assert 2000 <= backoff_ms(1) <= 2200
    assert MAX_BACKOFF_S * 1000 <= backoff_ms(40) <= MAX_BACKOFF_S * 1100
