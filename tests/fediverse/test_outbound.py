"""No fediverse request goes to this node's own or private network on an actor's word
(fediverse/outbound.py): the address rules as pure values, the URL check, the client that
checks again as it connects, and a real node (not told it may reach loopback) refusing a
Follow whose key or inbox is on loopback or a private address, and an inbox delivery to one,
without sending a single request there."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from conftest import LIGHT_HASHING
from fediverse import cavage
from fediverse.servers import AS, Mastodon
from p2pvalue.accounts import Account
from p2pvalue.config import init_data_dir
from p2pvalue.errors import P2PError
from p2pvalue.fediverse.delivery import run_deliveries
from p2pvalue.fediverse.outbound import check_form, check_url, guarded_client, refusal
from p2pvalue.node import Node
from p2pvalue.store import activitypub as store
from p2pvalue.store.database import writing
from p2pvalue.web.app import create_app
from serving import loopback, served, url_of

REFUSED = {
    "127.0.0.1": "loopback", "127.8.9.10": "loopback", "::1": "loopback",
    "::ffff:127.0.0.1": "loopback", "10.1.2.3": "private", "172.16.0.1": "private",
    "192.168.1.1": "private", "fc00::1": "private", "64:ff9b::a00:1": "private",
    "169.254.169.254": "link-local", "fe80::1": "link-local", "224.0.0.1": "multicast",
    "ff02::1": "multicast", "0.0.0.0": "unspecified", "::": "unspecified",
    "240.0.0.1": "reserved", "100.64.0.1": "not global",
}  # fmt: skip
PUBLIC = ("93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8")


def _code(url: str, allow_loopback: bool = False) -> str | None:
    try:
        asyncio.run(check_url(url, allow_loopback=allow_loopback))
    except P2PError as refused:
        return refused.code
    return None


@pytest.mark.parametrize(("address", "kind"), sorted(REFUSED.items()))
def test_addresses_that_are_not_public_are_refused(address: str, kind: str) -> None:
    parsed = ipaddress.ip_address(address)
    assert refusal(parsed) == kind
    assert refusal(parsed, allow_loopback=True) == (None if kind == "loopback" else kind)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("url", [
    "ftp://example.org/actor", "file:///etc/passwd", "gopher://example.org", "http:///actor",
    "https://user:secret@example.org/actor", "https://user@example.org/actor",
    "http://example.org:99999/",
])  # fmt: skip
def test_only_plain_http_urls_with_a_host_are_allowed(url: str) -> None:
    with pytest.raises(P2PError) as refused:
        check_form(url)
    assert (refused.value.code, refused.value.status) == ("forbidden_url", 403)


def test_a_url_is_refused_when_its_host_resolves_to_a_refused_address() -> None:
    refused = [
        "http://127.0.0.1:8000/actor", "http://localhost/actor", "http://[::1]/inbox",
        "http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/inbox",
        "http://[::ffff:127.0.0.1]/", "http://0.0.0.0:80/", "https://[fe80::1]/",
    ]  # fmt: skip
    assert [_code(url) for url in refused] == ["forbidden_address"] * len(refused)
    assert _code("https://user:pw@93.184.216.34/") == "forbidden_url"
    assert _code("https://93.184.216.34/users/alice") is None
    assert _code("http://127.0.0.1:8000/actor", allow_loopback=True) is None
    assert _code("http://localhost/actor", allow_loopback=True) is None
    assert _code("http://10.0.0.7/inbox", allow_loopback=True) == "forbidden_address"


def _recording_app(hits: list[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/{path:path}")
    async def anything(path: str, request: Request) -> JSONResponse:
        hits.append(request.url.path)
        return JSONResponse({"ok": True})

    return app


def test_the_client_checks_again_as_it_connects_and_follows_no_redirect() -> None:
    hits: list[str] = []
    listener, redirecting = loopback(), loopback()
    redirect = FastAPI()

    @redirect.get("/actor")
    async def moved() -> RedirectResponse:
        return RedirectResponse(f"{url}/secret", status_code=302)

    async def get(target: str, allow_loopback: bool) -> httpx.Response:
        async with guarded_client(allow_loopback=allow_loopback, timeout=5) as client:
            return await client.get(target)

    with served(_recording_app(hits), listener) as url, served(redirect, redirecting) as there:
        # Without the check before it, the connection itself is refused (as after a DNS
        # answer that changed between the check and the request).
        with pytest.raises(httpx.ConnectError):
            asyncio.run(get(f"{url}/secret", allow_loopback=False))
        assert hits == []
        assert asyncio.run(get(f"{url}/open", allow_loopback=True)).status_code == 200
        moved_answer = asyncio.run(get(f"{there}/actor", allow_loopback=True))
    assert moved_answer.status_code == 302
    assert hits == ["/open"]


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
    caplog.set_level("WARNING", logger="p2pvalue.web.activitypub_api")

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
    config = init_data_dir(tmp_path / "node", public_url=url_of(ours), fediverse_loopback=True)
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
        async with httpx.AsyncClient(timeout=10) as client:  # unguarded: the check alone
            return await run_deliveries(guarded.node.fediverse, client)

    assert asyncio.run(deliver()) == 0

    assert guarded.counts() == (2, 0)
    assert guarded.remote.received == []
    dropped = [r.getMessage() for r in caplog.records if "dropping delivery" in r.getMessage()]
    assert len(dropped) == 2 and all("forbidden_address" in m for m in dropped)
