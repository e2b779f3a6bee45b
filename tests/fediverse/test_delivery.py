"""What the write path queues for the fediverse, and how the worker delivers it
(fediverse/delivery.py), against a real inbox on loopback that answers as scripted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from sqlalchemy import update

from conftest import LIGHT_HASHING
from fediverse import cavage
from fediverse.servers import Mastodon
from p2pvalue.accounts import Account
from p2pvalue.config import init_data_dir
from p2pvalue.fediverse import Fediverse
from p2pvalue.fediverse.delivery import (
    MAX_ATTEMPTS,
    MAX_BACKOFF_S,
    backoff_ms,
    inboxes,
    run_deliveries,
)
from p2pvalue.node import Node
from p2pvalue.outbound import LOOPBACK, Outbound
from p2pvalue.store import activitypub as store
from p2pvalue.store.database import writing
from p2pvalue.store.schema import ap_deliveries
from serving import loopback, served, url_of


@dataclass
class Setup:
    node: Node
    fediverse: Fediverse
    space: str
    ann: Account
    remote: Mastodon

    def follower(self, name: str, shared: bool = True) -> None:
        actor = self.remote.actor(name)
        shared_inbox = f"{self.remote.url}/inbox" if shared else None
        follower = store.Follower(self.space, actor, f"{actor}/inbox", shared_inbox, f"{actor}/f")
        with writing(self.node.engine) as conn:
            store.follow(conn, follower, 0)

    def queued(self) -> list[store.Delivery]:
        with self.node.engine.begin() as conn:
            return store.due(conn, 2**62, 100)

    def deliver(self) -> int:
        async def once() -> int:
            async with Outbound(self.fediverse.outbound, timeout=10) as client:
                return await run_deliveries(self.fediverse, client)

        return asyncio.run(once())

    def make_due(self, attempts: int | None = None) -> None:
        values: dict[str, int] = {"next_at": 0}
        if attempts is not None:
            values["attempts"] = attempts
        with writing(self.node.engine) as conn:
            conn.execute(update(ap_deliveries).values(**values))


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    """A node with a public URL (not served: only its key signs here) and a remote server."""
    theirs = loopback()
    config = init_data_dir(
        tmp_path / "node", public_url="https://node.example", outbound_allow=LOOPBACK
    )  # the remote server is on loopback
    remote = Mastodon(url_of(theirs), {"alice": cavage.new_key(), "bob": cavage.new_key()})
    with Node(config, password_hasher=LIGHT_HASHING) as node, served(remote.app(), theirs):
        fediverse = node.service(Fediverse)
        ann = node.accounts.register("ann", "correct horse")
        space = str(node.create_space(ann, "Open Commons").id)
        yield Setup(node, fediverse, space, ann, remote)


def test_a_post_is_queued_once_per_inbox_and_other_events_are_not(setup: Setup) -> None:
    setup.follower("alice")
    setup.follower("bob")  # the same server: its shared inbox serves both
    setup.follower("carol", shared=False)
    ben = setup.node.accounts.register("ben", "correct horse")
    setup.node.act(ben, setup.space, "member.join", {})
    assert setup.queued() == []

    posted = setup.node.act(setup.ann, setup.space, "post.create", {"text": "hi"})

    queued = setup.queued()
    assert sorted(d.inbox for d in queued) == [
        f"{setup.remote.url}/inbox", f"{setup.remote.url}/users/carol/inbox"]  # fmt: skip
    assert {d.actor for d in queued} == {f"https://node.example/ap/spaces/{setup.space}"}
    announce = orjson.loads(queued[0].body)
    assert announce["id"] == f"https://node.example/ap/activities/{posted.id}/announce"


def test_nothing_is_queued_for_a_private_space_or_a_rejected_event(setup: Setup) -> None:
    private = str(setup.node.create_space(setup.ann, "Back Office", membership="invite").id)
    with writing(setup.node.engine) as conn:
        store.follow(conn, store.Follower(private, "https://m.example/u", "https://m.example/i",
                                          None, "f"), 0)  # fmt: skip
    setup.follower("alice")
    stranger = setup.node.accounts.register("sam", "correct horse")  # not a member

    setup.node.act(setup.ann, private, "post.create", {"text": "internal"})
    outcome = setup.node.act(stranger, setup.space, "post.create", {"text": "spam"})

    assert outcome.status == "rejected"
    assert setup.queued() == []


def test_a_failed_delivery_is_retried_later_and_then_delivered(setup: Setup) -> None:
    setup.follower("alice")
    setup.node.act(setup.ann, setup.space, "post.create", {"text": "hi"})
    setup.remote.answers.extend([503])

    assert setup.deliver() == 0
    (waiting,) = setup.queued()
    assert waiting.attempts == 1
    assert setup.deliver() == 0  # not due yet: backing off
    assert len(setup.remote.received) == 1

    setup.make_due()
    assert setup.deliver() == 1
    assert setup.queued() == []
    assert [r.activity["type"] for r in setup.remote.received] == ["Announce", "Announce"]


def test_an_inbox_that_will_never_take_it_drops_the_delivery(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="p2pvalue.fediverse.delivery")
    setup.follower("alice")
    setup.node.act(setup.ann, setup.space, "post.create", {"text": "hi"})
    setup.remote.answers.extend([410])

    assert setup.deliver() == 0

    assert setup.queued() == []
    assert any("dropping delivery" in r.getMessage() and "410" in r.getMessage()
               for r in caplog.records)  # fmt: skip


def test_a_delivery_is_dropped_after_its_last_attempt(setup: Setup) -> None:
    setup.follower("alice")
    setup.node.act(setup.ann, setup.space, "post.create", {"text": "hi"})
    setup.make_due(attempts=MAX_ATTEMPTS - 2)
    setup.remote.answers.extend([500, 500])

    setup.deliver()
    assert [d.attempts for d in setup.queued()] == [MAX_ATTEMPTS - 1]
    setup.make_due()
    setup.deliver()
    assert setup.queued() == []


def test_an_unreachable_inbox_is_retried(setup: Setup) -> None:
    closed = loopback()
    url = url_of(closed)
    closed.close()  # nothing listens there now
    with writing(setup.node.engine) as conn:
        store.follow(conn, store.Follower(setup.space, f"{url}/u", f"{url}/i", None, "f"), 0)
    setup.node.act(setup.ann, setup.space, "post.create", {"text": "hi"})

    assert setup.deliver() == 0

    (waiting,) = setup.queued()
    assert waiting.attempts == 1


def test_backoff_doubles_up_to_an_hour_with_jitter() -> None:
    assert 2000 <= backoff_ms(1) <= 2200
    assert 64_000 <= backoff_ms(6) <= 70_400
    assert MAX_BACKOFF_S * 1000 <= backoff_ms(40) <= MAX_BACKOFF_S * 1100


def test_inboxes_prefer_a_shared_inbox() -> None:
    followers = [
        store.Follower("s", "a", "https://x/a/inbox", "https://x/inbox", "1"),
        store.Follower("s", "b", "https://x/b/inbox", "https://x/inbox", "2"),
        store.Follower("s", "c", "https://y/c/inbox", None, "3"),
    ]
    assert inboxes(followers) == ["https://x/inbox", "https://y/c/inbox"]
