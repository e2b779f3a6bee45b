"""Leadership of the background work: on PostgreSQL one of two contenders leads at a time;
a leader whose database session dies stops its work and leadership is taken again, and
when the leading process is gone the other takes over. On SQLite the one process leads."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from sqlalchemy import Engine

from p2pvalue.node import Node
from p2pvalue.web.leadership import Leadership, lock_key

RETRY = 0.1


def work_counting(runs: list[str], name: str) -> Callable[[], Coroutine[Any, Any, None]]:
    """Background work that notes each time it starts, and runs until cancelled."""

    async def work() -> None:
        runs.append(name)
        await asyncio.Event().wait()

    return work


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)


def test_one_leads_and_another_takes_over_when_its_session_dies(node: Node) -> None:
    if node.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    asyncio.run(_take_over(node.engine))


async def _take_over(engine: Engine) -> None:
    runs: list[str] = []
    key = lock_key(f"did:key:test-{os.getpid()}-{time.monotonic_ns()}")
    first = Leadership(engine, retry=RETRY, key=key)
    second = Leadership(engine, retry=RETRY, key=key)
    one = asyncio.create_task(first.run(work_counting(runs, "first")))
    await until(lambda: first.leading)
    two = asyncio.create_task(second.run(work_counting(runs, "second")))
    await asyncio.sleep(RETRY * 5)
    assert (first.leading, second.leading, runs) == (True, False, ["first"])
    session = first._session
    assert session is not None
    session.invalidate()  # the leader's connection is gone, as with a database restart
    await until(lambda: len(runs) == 2)  # someone leads again
    # The old leader stops at its next look at its lock, within one retry.
    await until(lambda: first.leading != second.leading, RETRY * 20)
    leader, other = (one, second) if first.leading else (two, first)
    leader.cancel()  # the leading process is gone
    # Leading is set just before the work's first step runs: wait for both.
    await until(lambda: other.leading and len(runs) == 3)
    assert runs[-1] == ("first" if other is first else "second")
    for task in (one, two):
        task.cancel()
    await asyncio.gather(one, two, return_exceptions=True)


def test_on_sqlite_the_one_process_leads(sqlite_node: Node) -> None:
    async def lead() -> list[str]:
        runs: list[str] = []
        alone = Leadership(sqlite_node.engine, retry=RETRY)
        task = asyncio.create_task(alone.run(work_counting(runs, "alone")))
        await until(lambda: alone.leading)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return runs

    assert asyncio.run(lead()) == ["alone"]
