"""The documents database is made once, whoever opens it first: stores of many rooms and many
worker processes starting together all find the same tables and keep every update."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import anyio
import pytest
from pycrdt import Doc, Text

from p2pvalue.collab.live import DocumentStore, prepare_store


async def _store_updates(path: Path, doc: str, count: int) -> None:
    async with anyio.create_task_group() as group:
        store = DocumentStore(path, doc)
        await group.start(store.start)
        ydoc: Doc[Any] = Doc()
        text = ydoc.get("content", type=Text)
        for n in range(count):
            before = ydoc.get_state()
            text += f"{doc}-{n} "
            await store.write(ydoc.get_update(before))
        await store.stop()


def _worker(path: str, docs: list[str]) -> None:
    async def main() -> None:
        async with anyio.create_task_group() as group:
            for doc in docs:
                group.start_soon(_store_updates, Path(path), doc, 5)

    anyio.run(main)


def test_rooms_and_workers_opening_a_new_database_at_once_keep_every_update(
    tmp_path: Path,
) -> None:
    path = tmp_path / "documents.db"
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_worker, args=(str(path), [f"w{w}d{d}" for d in range(6)]))
        for w in range(3)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [process.exitcode for process in processes] == [0, 0, 0]
    assert not list(tmp_path.glob("documents(*")), "no database was moved aside"
    with sqlite3.connect(path) as db:
        rows = dict(db.execute("SELECT path, COUNT(*) FROM yupdates GROUP BY path").fetchall())
    assert rows == {f"w{w}d{d}": 5 for w in range(3) for d in range(6)}


def test_a_document_read_back_from_the_store_has_its_text(tmp_path: Path) -> None:
    path = tmp_path / "documents.db"
    anyio.run(_store_updates, path, "notes", 3)

    async def read() -> str:
        ydoc: Doc[Any] = Doc()
        async with anyio.create_task_group() as group:
            store = DocumentStore(path, "notes")
            await group.start(store.start)
            await store.apply_updates(ydoc)
            await store.stop()
        return str(ydoc.get("content", type=Text))

    assert anyio.run(read) == "notes-0 notes-1 notes-2 "


def test_a_database_of_another_store_version_is_refused_not_moved(tmp_path: Path) -> None:
    path = tmp_path / "documents.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE yupdates (path TEXT, yupdate BLOB, metadata BLOB, timestamp REAL)")
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(RuntimeError, match="version 99"):
        prepare_store(path, DocumentStore.version)
    assert path.exists() and not list(tmp_path.glob("documents(*"))
