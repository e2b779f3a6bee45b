"""`p2pvalue backup` and `restore`: a whole node round-trips, on SQLite and PostgreSQL and
from one to the other; a damaged or forged archive is refused and leaves nothing behind."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import tarfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select

from clock import MovableClock
from conftest import LIGHT_HASHING, PG_ENV, reset_postgres
from p2pvalue import demo
from p2pvalue.backup import backup, restore, rows_of
from p2pvalue.collab.live import STORE_FILE
from p2pvalue.config import init_data_dir, load_config
from p2pvalue.errors import P2PError
from p2pvalue.node import Node
from p2pvalue.store.database import make_engine
from p2pvalue.store.schema import events
from test_cli import invoke


def seeded(folder: Path, database_url: str | None) -> str:
    """A node with the demo community and a live documents' store; the demo space's id."""
    config = init_data_dir(folder, database_url)
    with Node(config, password_hasher=LIGHT_HASHING, clock=MovableClock()) as node:
        space = demo.seed(node)
    with sqlite3.connect(folder / STORE_FILE) as documents:
        documents.execute("CREATE TABLE yupdates (path TEXT, yupdate BLOB)")
        documents.execute("INSERT INTO yupdates VALUES ('doc-1', x'00ff10')")
    return space


def every_row(folder: Path, database_url: str | None) -> dict[str, list[dict[str, Any]]]:
    engine = make_engine(load_config(folder, database_url).url)
    try:
        with engine.connect() as conn:
            return {
                name: [{k: bytes(v) if isinstance(v, memoryview) else v for k, v in r.items()}
                       for r in rows]
                for name, rows in rows_of(conn)
            }  # fmt: skip
    finally:
        engine.dispose()


def other_postgres() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL backend not tested: {PG_ENV} is not set")
    return reset_postgres(url)


def test_a_node_round_trips_whole(tmp_path: Path, database_url: str | None) -> None:
    space = seeded(tmp_path / "node", database_url)
    archive = tmp_path / "node.tar.gz"
    manifest = backup(tmp_path / "node", archive)
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert manifest["members"]["tables/events.jsonl"]["rows"] > 20
    before = every_row(tmp_path / "node", database_url)

    restored = restore(archive, tmp_path / "again")

    assert restored.spaces == len({row["space"] for row in before["events"]}) == 2
    assert restored.events == len(before["events"])
    assert every_row(tmp_path / "again", None) == before
    for name in ("node.key", "keyring.key"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "node" / name).read_bytes()
    with sqlite3.connect(tmp_path / "again" / STORE_FILE) as documents:
        assert documents.execute("SELECT path, yupdate FROM yupdates").fetchall() == [
            ("doc-1", b"\x00\xff\x10")
        ]
    # The restored node is the same node, with its members' keys, and goes on writing.
    with Node(load_config(tmp_path / "again"), password_hasher=LIGHT_HASHING) as node:
        alice = node.accounts.check_password("alice", demo.DEMO_PASSWORD)
        assert node.space(space).name == demo.DEMO_SPACE
        posted = node.act(alice, space, "post.create", {"text": "Back from the backup"})
        assert posted.status == "accepted"


def test_sqlite_restores_onto_postgresql_and_its_ids_go_on(tmp_path: Path) -> None:
    url = other_postgres()
    space = seeded(tmp_path / "node", None)
    backup(tmp_path / "node", tmp_path / "node.tar.gz")
    before = every_row(tmp_path / "node", None)

    restore(tmp_path / "node.tar.gz", tmp_path / "moved", url)

    assert json.loads((tmp_path / "moved" / "config.json").read_text())["database_url"] == url
    assert not (tmp_path / "moved" / "p2pvalue.db").exists()
    assert every_row(tmp_path / "moved", None) == before
    with Node(load_config(tmp_path / "moved"), password_hasher=LIGHT_HASHING) as node:
        alice = node.accounts.check_password("alice", demo.DEMO_PASSWORD)
        assert node.act(alice, space, "post.create", {"text": "On PostgreSQL"}).status == (
            "accepted"
        )
        with node.engine.connect() as conn:
            seqs = [row.seq for row in conn.execute(select(events.c.seq).order_by(events.c.seq))]
    assert seqs[-1] == max(row["seq"] for row in before["events"]) + 1


def rewritten(
    archive: Path, target: Path, change: Any, fix_manifest: bool, revision: str | None = None
) -> None:
    """A copy of `archive` whose members pass through `change(name, data)`; with
    `fix_manifest`, the manifest is made to agree (a forger's copy), else left as it was."""
    import hashlib

    with tarfile.open(archive, "r:gz") as source:
        contents = {m.name: source.extractfile(m).read() for m in source}  # type: ignore[union-attr]
    manifest = json.loads(contents.pop("manifest.json"))
    for name in list(contents):
        contents[name] = change(name, contents[name])
        if fix_manifest:
            manifest["members"][name]["sha256"] = hashlib.sha256(contents[name]).hexdigest()
    manifest["revision"] = revision or manifest["revision"]
    contents["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(target, "w:gz") as out:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def test_a_damaged_archive_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    seeded(tmp_path / "node", None)
    backup(tmp_path / "node", tmp_path / "node.tar.gz")

    def flip(name: str, data: bytes) -> bytes:
        return data.replace(b"alice", b"alicf", 1) if name == "tables/accounts.jsonl" else data

    rewritten(tmp_path / "node.tar.gz", tmp_path / "damaged.tar.gz", flip, fix_manifest=False)
    with pytest.raises(P2PError, match=r"accounts\.jsonl is damaged") as refused:
        restore(tmp_path / "damaged.tar.gz", tmp_path / "again")
    assert refused.value.code == "bad_backup"
    assert not (tmp_path / "again").exists()
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive at all")
    with pytest.raises(P2PError, match="not a readable backup"):
        restore(tmp_path / "junk.tar.gz", tmp_path / "again")
    assert not (tmp_path / "again").exists()


def test_a_forged_event_fails_verification_and_nothing_stays(
    tmp_path: Path, database_url: str | None
) -> None:
    seeded(tmp_path / "node", None)
    backup(tmp_path / "node", tmp_path / "node.tar.gz")

    def forge(name: str, data: bytes) -> bytes:
        if name != "tables/events.jsonl":
            return data
        lines = data.splitlines()
        row = json.loads(lines[-1])
        row["author"] = row["author"][:-4] + "AAAA"
        return b"\n".join([*lines[:-1], json.dumps(row).encode()]) + b"\n"

    rewritten(tmp_path / "node.tar.gz", tmp_path / "forged.tar.gz", forge, fix_manifest=True)
    with pytest.raises(P2PError, match="does not verify"):
        restore(tmp_path / "forged.tar.gz", tmp_path / "again", database_url)
    assert not (tmp_path / "again").exists()
    if database_url:
        engine = make_engine(database_url)
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
        engine.dispose()


def test_restore_only_into_an_empty_folder_and_database(
    tmp_path: Path, database_url: str | None
) -> None:
    seeded(tmp_path / "node", None)
    backup(tmp_path / "node", tmp_path / "node.tar.gz")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(P2PError, match="not empty") as refused:
        restore(tmp_path / "node.tar.gz", tmp_path / "busy")
    assert refused.value.code == "not_empty"
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"
    if database_url:
        # A database that already holds a node is never written over.
        init_data_dir(tmp_path / "other", database_url)
        with Node(load_config(tmp_path / "other"), password_hasher=LIGHT_HASHING) as other:
            other.accounts.register("zoe", "a long enough password")
        with pytest.raises(P2PError, match="already has tables"):
            restore(tmp_path / "node.tar.gz", tmp_path / "again", database_url)
        assert not (tmp_path / "again").exists()
        with Node(load_config(tmp_path / "other"), password_hasher=LIGHT_HASHING) as other:
            assert other.accounts.by_username("zoe") is not None


def test_a_backup_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    seeded(tmp_path / "node", None)
    backup(tmp_path / "node", tmp_path / "node.tar.gz")
    rewritten(
        tmp_path / "node.tar.gz", tmp_path / "future.tar.gz", lambda _n, data: data,
        fix_manifest=True, revision="9999_from_the_future",
    )  # fmt: skip
    with pytest.raises(P2PError, match="newer than this p2pvalue"):
        restore(tmp_path / "future.tar.gz", tmp_path / "again")
    assert not (tmp_path / "again").exists()


def test_the_commands_back_up_and_restore(tmp_path: Path) -> None:
    seeded(tmp_path / "node", None)
    made = invoke("backup", tmp_path / "b.tar.gz", "--data", tmp_path / "node")
    assert made.exit_code == 0, made.output
    assert "wrote" in made.output and "rows" in made.output
    back = invoke("restore", tmp_path / "b.tar.gz", "--data", tmp_path / "again")
    assert back.exit_code == 0, back.output
    assert "every one verified" in back.output and "2 space(s)" in back.output
