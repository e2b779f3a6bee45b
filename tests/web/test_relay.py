"""Workers of one node (`Node`s on one data folder and PostgreSQL database, each served by
its own server, sharing a real Redis): a post accepted by one reaches a live feed held by
another within a second; a claim on one is in another's ledger at once; Yjs clients on
Node connected to different workers edit one document and converge, a late joiner on a
third gets the whole text, and every update is stored once."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, cast

import httpx
import orjson
import pytest

from conftest import LIGHT_HASHING, redis_or_skip
from p2pvalue.accounting.service import Value
from p2pvalue.collab.live import STORE_FILE
from p2pvalue.collab.service import Collab
from p2pvalue.config import init_data_dir, load_config
from p2pvalue.node import Node
from p2pvalue.store.events import StoredEvent
from p2pvalue.web.app import SERVER_SETTINGS, create_app
from serving import loopback, served
from web.client import ApiClient
from web.yjs_node import WAIT_SECONDS, YClient
from web.ypeer import community

if TYPE_CHECKING:
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"


@pytest.fixture
def workers(tmp_path: Path, database_url: str | None) -> Iterator[tuple[list[Node], list[str]]]:
    """Three nodes on one data folder and database, each served, sharing Redis."""
    if database_url is None:
        pytest.skip("workers share a PostgreSQL database")
    redis_url = redis_or_skip(10)
    init_data_dir(tmp_path / "node", database_url)
    config = load_config(tmp_path / "node", redis_url=redis_url)
    with ExitStack() as stack:
        nodes = [stack.enter_context(Node(config, password_hasher=LIGHT_HASHING)) for _ in "abc"]
        urls = [
            stack.enter_context(served(create_app(node), loopback(), **SERVER_SETTINGS))
            for node in nodes
        ]
        yield nodes, urls


def test_a_post_on_one_worker_reaches_a_feed_on_the_other(
    workers: tuple[list[Node], list[str]],
) -> None:
    (a, b, _), (url_a, _, _) = workers
    ana, ben = (b.accounts.register(name, PASSWORD) for name in ("ana", "ben"))
    token = a.accounts.open_session(ben)
    space = str(b.create_space(ana, "Live").id)
    with httpx.Client(base_url=url_a, timeout=10) as http:
        headers = {"Authorization": f"Bearer {token}"}
        assert http.put(f"/api/v1/me/follows/spaces/{space}", headers=headers).is_success
        items: list[dict[str, object]] = []
        ready, done = threading.Event(), threading.Event()

        def read() -> None:
            with http.stream("GET", "/api/v1/me/feed/stream", headers=headers) as response:
                for line in response.iter_lines():
                    ready.set()
                    if line.startswith('data: {"id"'):
                        items.append(orjson.loads(line.removeprefix("data: ")))
                        done.set()
                        return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert ready.wait(10)
        time.sleep(0.2)  # the stream is open on worker a before b commits
        posted_at = time.monotonic()
        outcome = b.act(ana, space, "post.create", {"text": "from the other worker"})
        assert outcome.status == "accepted"
        assert done.wait(5)
        assert time.monotonic() - posted_at < 1.0
        reader.join(5)
    assert items[0]["id"] == outcome.id


def test_a_claim_on_one_worker_is_in_the_ledger_of_the_other_at_once(
    workers: tuple[list[Node], list[str]],
) -> None:
    (a, b, _), _ = workers
    ana = b.accounts.register("ana", PASSWORD)
    space = str(b.create_space(ana, "Ledger").id)
    assert a.service(Value).ledger(space).claims == {}
    claim = {"kind": "docs", "description": "the FAQ", "quantity": 2, "unit": "hours"}
    outcome = b.act(ana, space, "contribution.claim", claim)
    assert set(a.service(Value).ledger(space).claims) == {outcome.id}


def test_yjs_clients_on_different_workers_converge_and_a_late_joiner_gets_it_all(
    workers: tuple[list[Node], list[str]],
) -> None:
    nodes, (url_a, url_b, url_c) = workers
    with httpx.Client(base_url=url_a, timeout=WAIT_SECONDS) as http:
        alice, bob, carol, _, doc = community(ApiClient(cast("TestClient", http)))
    with (
        YClient(url_a, doc, alice.token, "alice") as on_a,
        YClient(url_b, doc, bob.token, "bob") as on_b,
    ):
        on_a.wait_synced()
        on_b.wait_synced()
        for n in range(5):
            on_a.insert(0, f"a{n} ")
            on_b.insert(0, f"b{n} ")
        merged = on_a.wait_text_length(30)
        on_b.wait_text(merged)
        on_b.delete(0, 3)
        final = merged[3:]
        on_a.wait_text(final)
        with YClient(url_c, doc, carol.token, "carol") as late:
            late.wait_synced()
            late.wait_text(final)
            assert late.quit() == 0
        assert (on_a.quit(), on_b.quit()) == (0, 0)
    assert sorted(merged[i : i + 3] for i in range(0, 30, 3)) == sorted(
        [f"a{n} " for n in range(5)] + [f"b{n} " for n in range(5)]
    )
    stored = sqlite3.connect(nodes[0].config.data_dir / STORE_FILE)
    count, distinct = stored.execute(
        "SELECT COUNT(*), COUNT(DISTINCT yupdate) FROM yupdates WHERE path = ?", (doc,)
    ).fetchone()
    stored.close()
    assert count == distinct >= 11  # 10 inserts and a delete, each stored once


def test_yjs_clients_on_different_workers_see_who_is_there(
    workers: tuple[list[Node], list[str]],
) -> None:
    _, (url_a, url_b, url_c) = workers
    with httpx.Client(base_url=url_a, timeout=WAIT_SECONDS) as http:
        alice, bob, carol, _, doc = community(ApiClient(cast("TestClient", http)))
    with (
        YClient(url_a, doc, alice.token, "alice") as on_a,
        YClient(url_b, doc, bob.token, "bob") as on_b,
    ):
        on_a.wait_users("alice", "bob")
        on_b.wait_users("alice", "bob")
        with YClient(url_c, doc, carol.token, "carol") as late:
            late.wait_users("alice", "bob", "carol")
            on_a.wait_users("alice", "bob", "carol")
            assert on_a.quit() == 0
            late.wait("alice gone", lambda: late.users == ["bob", "carol"])
            on_b.wait("alice gone", lambda: on_b.users == ["bob", "carol"])
            assert late.quit() == 0
        on_b.wait("carol gone", lambda: on_b.users == ["bob"])
        assert on_b.quit() == 0


def test_a_document_changed_on_two_workers_is_snapshotted_once(
    workers: tuple[list[Node], list[str]],
) -> None:
    nodes, (url_a, url_b, _) = workers
    with httpx.Client(base_url=url_a, timeout=WAIT_SECONDS) as http:
        alice, bob, _, space, doc = community(ApiClient(cast("TestClient", http)))
    with (
        YClient(url_a, doc, alice.token, "alice") as on_a,
        YClient(url_b, doc, bob.token, "bob") as on_b,
    ):
        on_a.wait_synced()
        on_b.wait_synced()
        on_a.insert(0, "from a ")
        on_b.insert(0, "from b ")
        on_b.wait_text(on_a.wait_text_length(14))
        for client in (on_a, on_b):  # both leave at once: each worker closes its room
            client.send({"op": "quit"})
        assert (on_a.wait_exit(), on_b.wait_exit()) == (0, 0)
    deadline = time.monotonic() + 10
    while not _snapshots(nodes[2], space) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2)  # time enough for the other worker to sign a second one, were it to
    snapshots = _snapshots(nodes[2], space)
    assert len(snapshots) == 1, snapshots
    (latest,) = nodes[2].service(Collab).document(space, doc).snapshots
    assert latest.event == snapshots[0].id
    assert latest.authors == {alice.did: 7, bob.did: 7}  # each worker's writer counted


def _snapshots(node: Node, space: str) -> list[StoredEvent]:
    """Every `doc.snapshot` of the space's log, accepted or not."""
    return [e for e in node.events(space, limit=500) if e.type == "doc.snapshot"]
