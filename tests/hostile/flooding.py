"""Shared by the flood tests: a node's app in-process with tightened rate limits, and a
remote node that signs its requests with its own key."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from p2pvalue.config import RateLimits
from p2pvalue.events.event import build_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.federation.signatures import NodeAuth
from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from web.client import ApiClient

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@contextmanager
def client(node: Node, limits: RateLimits | None = None) -> Iterator[ApiClient]:
    """The node's app behind real HTTP semantics, with `limits` instead of the defaults."""
    if limits is not None:
        node.limiter.limits = limits
    with TestClient(create_app(node)) as http:
        yield ApiClient(http)


class RemoteNode:
    """Another node as this one sees it: a key that signs its requests."""

    def __init__(self, api: ApiClient, url: str = "http://remote.example") -> None:
        self.api, self.key, self.url = api, KeyPair.generate(), url

    def push(self, space: str, wires: list[Any]) -> httpx.Response:
        response: httpx.Response = self.api.http.post(
            f"/federation/v1/spaces/{space}/events",
            json={"from": self.url, "events": wires},
            auth=NodeAuth(self.key),
        )
        return response

    def get(
        self, path: str, headers: dict[str, str] | None = None, **params: Any
    ) -> httpx.Response:
        response: httpx.Response = self.api.http.get(
            f"/federation/v1/spaces/{path}", params=params or None, headers=headers or {},
            auth=NodeAuth(self.key),
        )  # fmt: skip
        return response


def signed(api: ApiClient, key: KeyPair, space: str, type: str, content: dict[str, Any]) -> Any:
    """An event by `key` on top of the space's current tips, as it goes on the wire."""
    prev, depth = api.tips(space)
    return build_event(key, type, content, space=space, prev=prev, depth=depth).wire


def living_here(api: ApiClient, space: str, remote: RemoteNode) -> KeyPair:
    """A member of an open space who announces that they live on `remote`: the log then
    names `remote` as a node of the space, whose pushes it takes."""
    member = KeyPair.generate()
    for type, content in (("member.join", {}), ("member.home", {"node": remote.key.did,
                                                                "url": remote.url})):  # fmt: skip
        outcome = remote.push(space, [signed(api, member, space, type, content)])
        assert outcome.json()["outcomes"][0]["status"] == "accepted", outcome.text
    return member


def retry_after(response: httpx.Response) -> int:
    """The response is 429 `rate_limited` with a Retry-After of some seconds: how many."""
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1
    return int(response.headers["retry-after"])
