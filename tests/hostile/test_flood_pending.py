"""Filling the buffer of events that wait for missing ancestors: one node pushes orphans
(events whose parent it never sends) by the hundred. Its share of the buffer is bounded,
other nodes still get theirs, the bound survives a restart, and what waits too long is
dropped."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, update

from conftest import LIGHT_HASHING
from hostile.flooding import RemoteNode, client, living_here
from p2pvalue.config import init_data_dir
from p2pvalue.events.event import build_event, now_ms
from p2pvalue.events.keys import KeyPair
from p2pvalue.ingest import HELD_FOR_MS, MAX_HELD_PER_ORIGIN
from p2pvalue.node import Node
from p2pvalue.store.schema import pending_events
from web.client import ApiClient


def _orphans(api: ApiClient, key: KeyPair, space: str, count: int) -> list[object]:
    """`count` events by `key` on a parent that is never sent."""
    parent = build_event(key, "post.create", {"text": "never sent"}, space=space,
                         prev=api.tips(space)[0], depth=api.tips(space)[1])  # fmt: skip
    return [
        build_event(key, "post.create", {"text": f"orphan {i}"}, space=space,
                    prev=[parent.id], depth=parent.depth + 1).wire
        for i in range(count)
    ]  # fmt: skip


def _statuses(response: object) -> list[tuple[str, str | None]]:
    outcomes = response.json()["outcomes"]  # type: ignore[attr-defined]
    return [(o["status"], o.get("code")) for o in outcomes]


def _held(node: Node) -> int:
    with node.engine.begin() as conn:
        return int(conn.scalar(select(func.count()).select_from(pending_events)) or 0)


def _space(api: ApiClient) -> str:
    founder = api.sign_up("alice")
    return api.create_space(founder, "Commons")


def test_one_node_fills_only_its_share_of_the_buffer(
    tmp_path: Path, database_url: str | None
) -> None:
    config = init_data_dir(tmp_path / "node", database_url)
    with Node(config, password_hasher=LIGHT_HASHING) as node, client(node) as api:
        space = _space(api)
        flood, honest = RemoteNode(api, "http://flood.example"), RemoteNode(api)
        flooder, member = living_here(api, space, flood), living_here(api, space, honest)
        pushed = _statuses(
            flood.push(space, _orphans(api, flooder, space, MAX_HELD_PER_ORIGIN + 50))
        )
        assert pushed.count(("pending", "missing_ancestors")) == MAX_HELD_PER_ORIGIN
        assert pushed[MAX_HELD_PER_ORIGIN:] == [("refused", "too_many_pending")] * 50
        assert _statuses(honest.push(space, _orphans(api, member, space, 3))) == [
            ("pending", "missing_ancestors")] * 3  # fmt: skip
        assert _held(node) == MAX_HELD_PER_ORIGIN + 3
        # The buffer is stored with who filled it: a restart does not hand out a new share.
        flood_key, honest_key = flood.key, honest.key
    with Node(config, password_hasher=LIGHT_HASHING) as node, client(node) as api:
        flood, honest = RemoteNode(api, "http://flood.example"), RemoteNode(api)
        flood.key, honest.key = flood_key, honest_key
        assert _held(node) == MAX_HELD_PER_ORIGIN + 3
        again = _statuses(flood.push(space, _orphans(api, flooder, space, 1)))
        assert again == [("refused", "too_many_pending")]


def test_what_waits_too_long_is_dropped(node: Node) -> None:
    with client(node) as api:
        space = _space(api)
        flood = RemoteNode(api, "http://flood.example")
        flooder = living_here(api, space, flood)
        flood.push(space, _orphans(api, flooder, space, MAX_HELD_PER_ORIGIN))
        assert _held(node) == MAX_HELD_PER_ORIGIN
        with node.engine.begin() as conn:  # ten minutes and a second pass
            conn.execute(update(pending_events).values(received_at=now_ms() - HELD_FOR_MS - 1000))
        fresh = _statuses(flood.push(space, _orphans(api, flooder, space, 2)))
        assert fresh == [("pending", "missing_ancestors")] * 2
        assert _held(node) == 2
