"""The federation API on each backend, played against by an honest node and a hostile one:
every request must be signed by its node, every event is judged alone, and nothing the
hostile node sends changes what the honest ones see."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from p2pvalue.config import Rate, RateLimits
from p2pvalue.events.event import build_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.federation.signatures import NodeAuth
from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from web.client import ApiClient, Member

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def api(node: Node) -> Iterator[ApiClient]:
    with TestClient(create_app(node)) as client:
        yield ApiClient(client)


class RemoteNode:
    """Another node as this node sees it: a key that signs its requests."""

    def __init__(self, api: ApiClient, url: str = "http://remote.example") -> None:
        self.api, self.key, self.url = api, KeyPair.generate(), url

    def push(self, space: str, wires: list[Any]) -> httpx.Response:
        body = {"from": self.url, "events": wires}
        response: httpx.Response = self.api.http.post(
            f"/federation/v1/spaces/{space}/events", json=body, auth=NodeAuth(self.key)
        )
        return response

    def joining(self, space: str, member: KeyPair) -> list[Any]:
        """`member`'s join and home here, as this node pushes them when they join: the push
        that introduces a node to a space whose log does not name it yet."""
        join = _event(self.api, member, space, "member.join", {})
        home = build_event(member, "member.home", {"node": self.key.did, "url": self.url},
                           space=space, prev=[join_id(join)], depth=join["depth"] + 1)  # fmt: skip
        return [join, home.wire]

    def get(self, path: str, **params: Any) -> httpx.Response:
        response: httpx.Response = self.api.http.get(
            f"/federation/v1/spaces/{path}", params=params, auth=NodeAuth(self.key)
        )
        return response


def _space(api: ApiClient) -> tuple[Member, str]:
    alice = api.sign_up("alice")
    return alice, api.create_space(alice, "Commons")


def _event(api: ApiClient, key: KeyPair, space: str, type: str, content: dict[str, Any]) -> Any:
    prev, depth = api.tips(space)
    return build_event(key, type, content, space=space, prev=prev, depth=depth).wire


def _outcomes(response: httpx.Response) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, response.text
    return [(o["status"], o.get("code")) for o in response.json()["outcomes"]]


def test_an_honest_push_takes_the_write_path(api: ApiClient) -> None:
    alice, space = _space(api)
    honest = RemoteNode(api)
    bob = KeyPair.generate()
    join, home = honest.joining(space, bob)
    assert _outcomes(honest.push(space, [join, home])) == [("accepted", None)] * 2
    assert _outcomes(honest.push(space, [join])) == [("duplicate", None)]  # a replay
    members = api.http.get(f"/api/v1/spaces/{space}/members").json()["members"]
    assert sorted(m["did"] for m in members) == sorted([alice.did, bob.did])
    heads = honest.get(f"{space}/heads").json()
    assert (heads["heads"], heads["events"]) == ([join_id(home)], api.count(space))
    served = honest.get(f"{space}/events", id=[join_id(join)]).content
    assert orjson.loads(served) == join
    page = honest.get(f"{space}/log", after=-1, limit=1)
    assert page.headers["p2p-last-position"] == "0"
    assert orjson.loads(page.content)["type"] == "space.create"


def join_id(wire: Any) -> str:
    from p2pvalue.events.event import parse_event

    return parse_event(wire).id


def test_a_hostile_node_is_refused_event_by_event(api: ApiClient) -> None:
    alice, space = _space(api)
    hostile = RemoteNode(api, "http://hostile.example")
    mallory, bob, carol = KeyPair.generate(), KeyPair.generate(), KeyPair.generate()
    # The log must name a node before it pushes: a member living there says so.
    assert _outcomes(hostile.push(space, hostile.joining(space, carol))) == [("accepted", None)] * 2
    before = api.log(space)

    forged = _event(api, mallory, space, "member.join", {})
    forged["sig"] = _event(api, bob, space, "member.join", {})["sig"]
    altered = _event(api, bob, space, "member.join", {})
    altered["content"] = {"invite": "A" * 43}
    not_allowed = _event(api, mallory, space, "member.remove", {"member": alice.did})
    elsewhere = build_event(mallory, "post.create", {"text": "hi"}, space="S" * 43,
                            prev=["P" * 43], depth=1).wire  # fmt: skip
    outcomes = _outcomes(hostile.push(space, [forged, altered, not_allowed, elsewhere, "junk"]))
    assert outcomes == [
        ("refused", "bad_signature"),
        ("refused", "content_hash_mismatch"),
        ("rejected", "not_authorized"),
        ("refused", "wrong_space"),
        ("refused", "wrong_space"),
    ]
    members = api.http.get(f"/api/v1/spaces/{space}/members").json()["members"]
    assert sorted((m["did"], m["status"]) for m in members) == sorted(
        [(alice.did, "member"), (carol.did, "member")])  # fmt: skip
    after = api.log(space)
    assert [e["id"] for e in after if e["accepted"]] == [e["id"] for e in before if e["accepted"]]

    # Honest nodes are unaffected: a member's join pushed now is accepted as ever.
    honest = RemoteNode(api)
    assert _outcomes(honest.push(space, honest.joining(space, bob))) == [("accepted", None)] * 2


def test_requests_must_be_signed_by_a_node(api: ApiClient) -> None:
    _alice, space = _space(api)
    unsigned = api.http.get(f"/federation/v1/spaces/{space}/heads")
    assert (unsigned.status_code, unsigned.json()["error"]["code"]) == (401, "unsigned_request")
    remote = RemoteNode(api)
    request = api.http.build_request("GET", f"/federation/v1/spaces/{space}/heads")
    signed = next(NodeAuth(remote.key).auth_flow(request))
    tampered = dict(signed.headers)
    tampered["signature-input"] = tampered["signature-input"].replace("heads", "heads")
    response = api.http.get(f"/federation/v1/spaces/{space}/events", headers=tampered,
                            params={"id": "x"})  # fmt: skip
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    missing = remote.get(f"{'S' * 43}/heads")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_replicated")
    malformed = api.http.post(f"/federation/v1/spaces/{space}/events", content=b"{",
                              headers={"content-type": "application/json"},
                              auth=NodeAuth(remote.key))  # fmt: skip
    assert (malformed.status_code, malformed.json()["error"]["code"]) == (400, "malformed_json")


def test_a_flooding_node_is_slowed_down_and_others_are_not(api: ApiClient) -> None:
    _alice, space = _space(api)
    node = api.http.app.state.node  # type: ignore[attr-defined]
    node.limiter.limits = RateLimits(federation_per_node=Rate(20, 60))
    flood, honest = RemoteNode(api, "http://flood.example"), RemoteNode(api)
    statuses = [flood.get(f"{space}/heads").status_code for _ in range(30)]
    assert 20 <= statuses.count(200) <= 22
    assert statuses[-1] == 429
    limited = flood.get(f"{space}/heads")
    assert limited.json()["error"]["code"] == "rate_limited"
    assert honest.get(f"{space}/heads").status_code == 200
