"""No fediverse request goes to this node's own or private network on an actor's word
(`outbound`, whose rules tests/hostile/test_outbound_addresses.py checks): a real node (not
told it may reach loopback) refuses a Follow whose key or inbox is on loopback or a private
address, and an inbox delivery to one, without sending a single request there."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import LIGHT_HASHING
from fediverse import cavage
from fediverse.servers import AS, Mastodon
from p2pvalue.accounts import Account
from p2pvalue.config import init_data_dir
from p2pvalue.fediverse import Fediverse
from p2pvalue.fediverse.delivery import run_deliveries
from p2pvalue.node import Node
from p2pvalue.outbound import LOOPBACK, Outbound, Policy
from p2pvalue.store import activitypub as store
from p2pvalue.store.database import writing
from p2pvalue.web.app import create_app
from serving import loopback, served, url_of


@dataclass
class Guarded:
    """A node that may not reach loopback, serving an open space, and a Mastodon-like server
    on loopback whose actors name their keys and inboxes there."""

    node: Node
    url: str
    space: str
    remote: Mastodon
    ann: Account | None = None

    def follow(self) -> httpx.Response:
        actor = self.remote.actor("mallory")
        activity = {"@context": AS, "id": f"{actor}/follows/1", "type": "Follow",
                    "actor": actor, "object": f"{self.url}/ap/spaces/{self.space}"}  # fmt: skip
        return self.remote.post("mallory", f"{self.url}/ap/spaces/{self.space}/inbox", activity)

    def counts(self) -> tuple[int, int]:
        with self.node.engine.begin() as conn:
            return store.follower_count(conn), store.waiting(conn)


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Guarded]:
    ours, theirs = loopback(), loopback()
    config = init_data_dir(tmp_path / "node", public_url=url_of(ours))
    remote = Mastodon(url_of(theirs), {"mallory": cavage.new_key()})
    with (
        Node(config, password_hasher=LIGHT_HASHING) as node,
        served(remote.app(), theirs),
        served(create_app(node), ours) as url,
    ):
        ann = node.accounts.register("ann", "correct horse")
        space = str(node.create_space(ann, "Open Commons").id)
        yield Guarded(node, url, space, remote, ann)


def test_a_follow_whose_key_is_on_loopback_is_refused_without_fetching_it(
    guarded: Guarded, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="p2pvalue.web.fediverse.api")

    response = guarded.follow()

    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden_address")
    assert guarded.remote.fetches == []  # the node never asked for the key
    assert guarded.counts() == (0, 0)
    assert any("forbidden_address" in r.getMessage() for r in caplog.records)


class PrivateInbox(Mastodon):
    """A server whose actors name an inbox on a private address."""

    def document(self, name: str) -> dict[str, Any]:
        return {**super().document(name), "inbox": "http://10.20.30.40/inbox",
                "endpoints": {"sharedInbox": "http://169.254.169.254/inbox"}}  # fmt: skip


def test_a_follow_whose_inbox_is_private_is_refused(tmp_path: Path) -> None:
    ours, theirs = loopback(), loopback()
    # The key may be fetched (loopback allowed here), but the inbox it leads to is private.
    config = init_data_dir(tmp_path / "node", public_url=url_of(ours), outbound_allow=LOOPBACK)
    remote = PrivateInbox(url_of(theirs), {"mallory": cavage.new_key()})
    with (
        Node(config, password_hasher=LIGHT_HASHING) as node,
        served(remote.app(), theirs),
        served(create_app(node), ours) as url,
    ):
        ann = node.accounts.register("ann", "correct horse")
        guarded = Guarded(node, url, str(node.create_space(ann, "Open Commons").id), remote)
        response = guarded.follow()
        waiting = guarded.counts()
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden_address")
    assert waiting == (0, 0)


def test_a_delivery_to_a_refused_inbox_is_dropped_unsent(
    guarded: Guarded, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="p2pvalue.fediverse.delivery")
    inboxes = [f"{guarded.remote.url}/inbox", "http://169.254.169.254/inbox"]
    with writing(guarded.node.engine) as conn:
        for number, inbox in enumerate(inboxes):
            follower = store.Follower(guarded.space, f"{inbox}/a{number}", inbox, None, str(number))
            store.follow(conn, follower, 0)
    assert guarded.ann is not None
    guarded.node.act(guarded.ann, guarded.space, "post.create", {"text": "hello"})
    assert guarded.counts() == (2, 2)

    async def deliver() -> int:
        # A client that would go anywhere but to metadata: the check before it stands alone.
        async with Outbound(Policy.of(["0.0.0.0/0", "::/0"]), timeout=10) as client:
            return await run_deliveries(guarded.node.service(Fediverse), client)

    assert asyncio.run(deliver()) == 0

    assert guarded.counts() == (2, 0)
    assert guarded.remote.received == []
    dropped = [r.getMessage() for r in caplog.records if "dropping delivery" in r.getMessage()]
    assert len(dropped) == 2 and all("forbidden_address" in m for m in dropped)
