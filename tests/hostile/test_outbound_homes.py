"""A `member.home` names a URL that the node then contacts (pushes, anti-entropy, direct
messages). A member who says they live on this node's own loopback gets nothing sent
there: a real node with the default rules, replicating and delivering messages, makes zero
connections to a real listener on 127.0.0.1 named as that home."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from conftest import LIGHT_HASHING
from federation.cluster import wait_for
from hostile.outbound_listener import CountingListener
from p2pvalue.config import init_data_dir
from p2pvalue.events.canonical import b64u
from p2pvalue.events.keys import KeyPair
from p2pvalue.federation.replication import Replication
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.social.messages import seal, sign_message
from p2pvalue.store.schema import outbox
from p2pvalue.web.app import create_app
from serving import loopback, served, url_of


def _errors(node: Node) -> list[str]:
    with node.engine.begin() as conn:
        return [str(row) for row in conn.scalars(select(outbox.c.last_error))]


def test_a_home_on_loopback_is_never_contacted(tmp_path: Path, database_url: str | None) -> None:
    listener = loopback()
    config = init_data_dir(tmp_path / "node", database_url, public_url=url_of(listener))
    with (
        CountingListener() as home,
        Node(config, password_hasher=LIGHT_HASHING) as node,
        served(create_app(node, sync_every=0.2), listener),
    ):
        ann = node.accounts.register("ann", "correct horse")
        space = str(node.create_space(ann, "Commons").id)
        dan, elsewhere = KeyPair.generate(), KeyPair.generate()
        for type, content in (("member.join", {}), ("member.home",
                              {"node": elsewhere.did, "url": home.url})):  # fmt: skip
            assert node.writer.act(dan, space, type, content).status == "accepted"
        assert node.service(Replication).peers(space) == [home.url]

        node.act(ann, space, "post.create", {"text": "news for every home"})
        sealed = seal(dan.did, b"a message for dan")
        signature = sign_message(node.accounts.key_of(ann), dan.did, sealed)
        assert (
            node.service(Social).messages.send(ann, dan.did, b64u(sealed), signature)["delivery"]
            == "queued"
        )

        def refused() -> bool:
            [message] = node.service(Social).messages.page(ann.did, None, None, 10).messages
            errors = _errors(node)
            return message["delivery"] == "refused" and all(
                e.startswith("RefusedDestination") for e in errors) and bool(errors)  # fmt: skip

        wait_for(refused, 15, "the push and the message to be refused")
        time.sleep(1.0)  # a few anti-entropy rounds with the home too
        assert home.accepted == 0
