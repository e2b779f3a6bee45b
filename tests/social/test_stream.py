"""The live feed on each backend: committed events reach the streams of those who follow
them, once, accepted only; a reader that falls behind is told to reload and is closed."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.social.stream import FeedStream

PASSWORD = "correct horse battery"
T = TypeVar("T")


def in_fresh_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` in a new event loop on its own thread: the browser tests' Playwright
    keeps a loop running on the main thread, where `asyncio.run` would refuse."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_followers_streams_get_new_accepted_items(node: Node) -> None:
    ana, ben, cyd, dan = (node.accounts.register(n, PASSWORD) for n in ("ana", "ben", "cyd", "dan"))
    space = node.create_space(ana, "Makers").id
    assert space is not None
    node.service(Social).follows.follow_space(cyd, space)
    node.service(Social).follows.follow_member(cyd, ana.did)  # both: still one item per event

    async def run() -> tuple[list[object], list[object], int]:
        stream = node.service(Social).stream
        follower, other = stream.open(cyd.did), stream.open(ben.did)
        await asyncio.to_thread(node.act, dan, space, "post.create", {"text": "no member"})
        await asyncio.to_thread(node.act, ana, space, "post.create", {"text": "hello"})
        got = [await asyncio.wait_for(follower.queue.get(), 5)]
        await asyncio.sleep(0.05)
        stream.close(follower)
        stream.close(other)
        return (
            got,
            [other.queue.get_nowait() for _ in range(other.queue.qsize())],
            stream.connected(),
        )

    got, others, connected = in_fresh_loop(run())
    assert [(i["summary"], i["author"]) for i in got] == [("hello", ana.did)]  # type: ignore[index]
    assert others == [] and connected == 0


def test_a_reader_that_falls_behind_is_told_to_reload(sqlite_node: Node) -> None:
    ana = sqlite_node.accounts.register("ana", PASSWORD)
    space = sqlite_node.create_space(ana, "Busy").id
    assert space is not None
    sqlite_node.service(Social).follows.follow_space(ana, space)
    stream = FeedStream(sqlite_node.engine, queue_size=2)
    sqlite_node.writer.subscribe(stream.committed)

    async def run() -> list[bytes]:
        subscription = stream.open(ana.did)
        for i in range(4):
            await asyncio.to_thread(sqlite_node.act, ana, space, "post.create", {"text": f"{i}"})
        await asyncio.sleep(0.05)
        return [chunk async for chunk in stream.events(subscription, 5.0)]

    chunks = in_fresh_loop(run())
    assert chunks[0].startswith(b"event: ready")
    kinds = [next(x for x in c.split(b"\n") if x.startswith(b"event:")) for c in chunks[1:]]
    assert kinds == [b"event: item", b"event: item", b"event: lagged"]
    assert stream.connected() == 0
