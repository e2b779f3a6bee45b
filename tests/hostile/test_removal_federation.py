"""Two real nodes, each an app served by uvicorn on loopback: after the only member of the
second node is removed from a space, the first node sends it the removal and nothing
more (no push, no anti-entropy), refuses it the private log, and what follows is sealed
under a rotated key the removed member does not hold."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conftest import LIGHT_HASHING
from federation.cluster import wait_for
from p2pvalue.config import init_data_dir
from p2pvalue.events.event import parse_event
from p2pvalue.federation.replication import Replication
from p2pvalue.federation.signatures import NodeAuth
from p2pvalue.node import Node
from p2pvalue.outbound import LOOPBACK
from p2pvalue.web.app import create_app
from serving import loopback, served, url_of
from web.client import ApiClient, Member

SYNC_EVERY = 0.3  # anti-entropy rounds, so that one that should not happen would
QUIET_S = 2.5


@dataclass
class Recorder:
    """An app whose federation requests are noted: when, which, and the ids pushed."""

    app: ASGIApp
    seen: list[tuple[float, str, str, list[str]]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/federation/"):
            await self.app(scope, receive, send)
            return
        body: list[bytes] = []

        async def tapped() -> Message:
            message = await receive()
            body.append(message.get("body", b""))
            return message

        await self.app(scope, tapped, send)
        pushed = orjson.loads(b"".join(body))["events"] if scope["method"] == "POST" else []
        ids = [parse_event(wire).id for wire in pushed]
        self.seen.append((time.monotonic(), scope["method"], scope["path"], ids))

    def pushed(self) -> list[str]:
        return [event for _, method, _, ids in self.seen if method == "POST" for event in ids]


@dataclass
class Pair:
    north: Node
    east: Node
    north_api: ApiClient
    east_api: ApiClient
    east_seen: Recorder


@pytest.fixture
def pair(tmp_path: Path, database_url: str | None) -> Iterator[Pair]:
    """north (on each backend) and east (SQLite), served; east's federation requests noted."""
    listeners = loopback(), loopback()
    urls = [url_of(listener) for listener in listeners]
    with ExitStack() as stack:
        north = stack.enter_context(Node(
            init_data_dir(tmp_path / "north", database_url, urls[0], outbound_allow=LOOPBACK),
            password_hasher=LIGHT_HASHING,
        ))  # fmt: skip
        east = stack.enter_context(Node(
            # ben runs east: as its admin he has it hold the space he is invited to
            init_data_dir(tmp_path / "east", None, urls[1], outbound_allow=LOOPBACK,
                          admins=("ben",)),
            password_hasher=LIGHT_HASHING,
        ))  # fmt: skip
        recorder = Recorder(create_app(east, sync_every=SYNC_EVERY))
        stack.enter_context(served(create_app(north, sync_every=SYNC_EVERY), listeners[0]))
        stack.enter_context(served(recorder, listeners[1]))
        clients = [stack.enter_context(httpx.Client(base_url=url, timeout=10)) for url in urls]
        yield Pair(north, east, ApiClient(clients[0]), ApiClient(clients[1]), recorder)  # type: ignore[arg-type]


def _status(api: ApiClient, space: str, member: Member, did: str) -> str | None:
    found = api.http.get(f"/api/v1/spaces/{space}/members", headers=member.auth)
    if found.status_code != 200:
        return None
    statuses = {m["did"]: m["status"] for m in found.json()["members"]}
    return statuses.get(did)


def _texts(api: ApiClient, space: str, member: Member) -> list[str]:
    page = api.http.get(f"/api/v1/spaces/{space}/events", params={"limit": 500},
                        headers=member.auth)  # fmt: skip
    if page.status_code != 200:
        return []
    events: list[dict[str, Any]] = page.json()["events"]
    return [e["content"]["text"] for e in events if e["type"] == "post.create"]


def _joined(pair: Pair, private: bool) -> tuple[Member, Member, str]:
    """ana (north) founds a space, ben (east) copies and joins it; both see a post."""
    ana, ben = pair.north_api.sign_up("ana"), pair.east_api.sign_up("ben")
    fields = {"membership": "invite", "private": True} if private else {}
    space = pair.north_api.create_space(ana, "Seed bank", **fields)
    if private:
        invited = pair.north_api.act(ana, space, "member.invite", {"member": ben.did})
        assert invited.status_code == 201, invited.text
    peer = str(pair.north_api.http.base_url).rstrip("/")
    asked = pair.east_api.http.post(
        "/api/v1/replicas", headers=ben.auth, json={"space": space, "peer": peer}
    )
    assert asked.status_code == 202, asked.text
    wait_for(lambda: _holds(pair.east_api, space, ben), 10, "east to copy the space")
    wait_for(lambda: pair.east_api.act(ben, space, "member.join").status_code == 201, 10,
             "ben to join")  # fmt: skip
    wait_for(lambda: _status(pair.north_api, space, ana, ben.did) == "member", 10,
             "north to hear of ben's join")  # fmt: skip
    pair.north_api.post(ana, space, "before the removal")
    wait_for(lambda: "before the removal" in _texts(pair.east_api, space, ben), 10,
             "east to get the post")  # fmt: skip
    return ana, ben, space


def _holds(api: ApiClient, space: str, member: Member) -> bool:
    found = api.http.get(f"/api/v1/spaces/{space}", headers=member.auth)
    return found.status_code == 200 and "sync" not in found.json()


@pytest.mark.parametrize("private", [True, False], ids=["private", "public"])
def test_a_node_whose_only_member_is_removed_gets_nothing_more(pair: Pair, private: bool) -> None:
    ana, ben, space = _joined(pair, private)
    wait_for(lambda: any(m == "GET" for _, m, _, _ in pair.east_seen.seen), 10,
             "north's anti-entropy to reach east")  # fmt: skip
    removal = pair.north_api.act(ana, space, "member.remove", {"member": ben.did})
    assert removal.status_code == 201, removal.text
    after = pair.north_api.post(ana, space, "after the removal")
    wait_for(lambda: removal.json()["id"] in pair.east_seen.pushed(), 10,
             "east to be sent the removal")  # fmt: skip
    told = max(at for at, _, _, ids in pair.east_seen.seen if removal.json()["id"] in ids)
    time.sleep(QUIET_S)

    assert _status(pair.east_api, space, ben, ben.did) in ("removed", None)
    assert after not in pair.east_seen.pushed()
    later = [(method, path) for at, method, path, _ in pair.east_seen.seen if at > told + 1.0]
    assert later == [], "north kept replicating with east after the removal"
    assert pair.north.service(Replication).peers(space) == []
    if private:  # a public space's log any node may still pull, as it may read it
        assert "after the removal" not in _texts(pair.east_api, space, ben)


def test_what_follows_a_removal_is_sealed_under_a_key_the_removed_do_not_hold(
    pair: Pair,
) -> None:
    ana, ben, space = _joined(pair, private=True)
    removal = pair.north_api.act(ana, space, "member.remove", {"member": ben.did})
    assert removal.status_code == 201, removal.text
    after = pair.north_api.post(ana, space, "after the removal")

    kid, _ = pair.north.writer.space_keys(space)
    sealed = pair.north.event(after).wire["content"]
    assert sealed["space_key"] == kid and b"after the removal" not in orjson.dumps(sealed)
    rotation = [e for e in pair.north.events(space, limit=500)
                if e.type == "space.key" and e.wire["content"].get("previous")]  # fmt: skip
    assert [sorted(r.wire["content"]["wraps"]) for r in rotation] == [[ana.did]]
    assert rotation[0].wire["content"]["space_key"] == kid
    _, held_at_east = pair.east.writer.space_keys(space)
    assert held_at_east and kid not in held_at_east

    east_signs = httpx.Client(base_url=str(pair.north_api.http.base_url),
                              auth=NodeAuth(pair.east.key), timeout=10)  # fmt: skip
    with east_signs:
        for path in ("heads", "log?after=-1", f"events?id={after}"):
            refused = east_signs.get(f"/federation/v1/spaces/{space}/{path}")
            assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_a_host")
