"""A whole node in one file, and back: `p2pvalue backup` and `p2pvalue restore`.

A backup is a gzipped tar archive:

- `manifest.json`: the format, when and by which node it was made, the schema's Alembic
  revision, and for every member of the archive its size and SHA-256 (for tables, also their
  row count);
- `files/`: the node's key, the keyring that seals members' keys, `config.json` and the live
  documents' store (`documents.db`, copied with SQLite's online backup);
- `tables/NAME.jsonl`: every row of every table (but the snapshots of folded state, which
  a restored node makes again), one JSON object a line, read in one
  transaction, so the archive is one consistent moment of the database. Bytes are written as
  `{"$b": base64}`.

Restoring checks every member against the manifest before it writes anything, then builds the
schema at the backup's revision, loads the rows and brings the schema up to date, all in one
database transaction, into an empty database (SQLite in the new folder by default, or any URL:
a backup made on SQLite restores onto PostgreSQL and back). The folder is assembled beside its
place and renamed into it at the end. Then every space's log is verified and every table's
count checked: a restore either ends with a node that verifies, or leaves nothing behind.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, Select, Table, func, inspect, select, text

from p2pvalue import audit
from p2pvalue.collab.live import STORE_FILE
from p2pvalue.config import CONFIG_FILE, DATABASE_FILE, KEYRING_FILE, NODE_KEY_FILE, load_config
from p2pvalue.errors import P2PError
from p2pvalue.node import Node
from p2pvalue.store.database import MIGRATIONS, make_engine, sqlite_url, writing
from p2pvalue.store.schema import events

FORMAT = "p2pvalue-backup/1"
MANIFEST = "manifest.json"
SECRETS = (NODE_KEY_FILE, KEYRING_FILE)
ALEMBIC_TABLE = "alembic_version"
# Folded state saved only to start faster (`p2pvalue.snapshots`): a restored node folds it
# again from the events, and a copy would only make the archive larger.
NOT_KEPT = frozenset({"snapshots"})
BATCH = 2_000  # rows inserted at once
Progress = Callable[[str, int], None]  # (what, how many more done)


def _quiet(_what: str, _done: int) -> None:
    return None


@dataclass(frozen=True)
class Restored:
    """What a restore brought back."""

    node: str
    tables: dict[str, int]
    spaces: int
    events: int


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _encoded(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    return value


def _decoded(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$b"}:
        return base64.b64decode(value["$b"])
    return value


def _revision(conn: Connection) -> str:
    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None:
        raise P2PError("not_initialised", "the database has no schema: nothing to back up")
    return revision


def _tables(conn: Connection) -> list[Table]:
    """The database's own tables as they are (reflected), parents before children."""
    reflected = MetaData()
    reflected.reflect(conn)
    return [t for t in reflected.sorted_tables if t.name != ALEMBIC_TABLE]


def _ordered(table: Table) -> Select[Any]:
    """Every row of `table` in a stable order: by its primary key, else by every column."""
    return select(table).order_by(*(list(table.primary_key.columns) or list(table.columns)))


def _documents(data_dir: Path) -> bytes | None:
    """The live documents' store, copied consistently even while the node writes to it."""
    source = data_dir / STORE_FILE
    if not source.exists():
        return None
    with sqlite3.connect(source) as live, sqlite3.connect(":memory:") as copy:
        live.backup(copy)
        return copy.serialize()


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    archive.addfile(info, io.BytesIO(data))
    return {"bytes": len(data), "sha256": _sha256(data)}


def backup(data_dir: Path, target: Path, database_url: str | None = None,
           progress: Progress = _quiet) -> dict[str, Any]:  # fmt: skip
    """Write the node in `data_dir` (and its database) to the archive `target`; its manifest.
    The archive is written beside `target` and renamed over it once complete."""
    config = load_config(data_dir, database_url)
    engine = make_engine(config.url)
    partial = target.with_name(target.name + ".partial")
    members: dict[str, dict[str, Any]] = {}
    try:
        with tarfile.open(partial, "w:gz") as archive:
            for name in (*SECRETS, CONFIG_FILE):
                members[f"files/{name}"] = _add(
                    archive, f"files/{name}", (data_dir / name).read_bytes()
                )
            documents = _documents(data_dir)
            if documents is not None:
                members[f"files/{STORE_FILE}"] = _add(archive, f"files/{STORE_FILE}", documents)
            # One read transaction: every table as of the same moment.
            with engine.connect() as conn, conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
                revision = _revision(conn)
                for table in _tables(conn):
                    if table.name in NOT_KEPT:
                        continue
                    lines, rows = io.BytesIO(), 0
                    for row in conn.execute(_ordered(table)):
                        encoded = {key: _encoded(value) for key, value in row._mapping.items()}
                        lines.write(json.dumps(encoded, separators=(",", ":")).encode() + b"\n")
                        rows += 1
                    progress(table.name, rows)
                    entry = _add(archive, f"tables/{table.name}.jsonl", lines.getvalue())
                    members[f"tables/{table.name}.jsonl"] = {**entry, "rows": rows}
            manifest = {
                "format": FORMAT,
                "created_ms": int(time.time() * 1000),
                "node": config.node_key().did,
                "revision": revision,
                "members": members,
            }
            _add(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
        partial.chmod(0o600)  # it holds the node's secrets
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    return manifest


def _read(source: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and every member of the archive, each checked against the manifest."""
    try:
        with tarfile.open(source, "r:gz") as archive:
            contents: dict[str, bytes] = {}
            for info in archive:
                if not info.isfile():
                    raise P2PError("bad_backup", f"{source}: {info.name!r} is not a plain file")
                handle = archive.extractfile(info)
                assert handle is not None
                contents[info.name] = handle.read()
    except (tarfile.TarError, EOFError, OSError) as error:
        raise P2PError("bad_backup", f"{source} is not a readable backup: {error}") from None
    try:
        manifest = json.loads(contents.pop(MANIFEST))
    except (KeyError, ValueError):
        raise P2PError("bad_backup", f"{source} has no readable {MANIFEST}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise P2PError("bad_backup", f"{source} is not a {FORMAT} archive")
    listed = manifest.get("members", {})
    if set(listed) != set(contents):
        missing, extra = sorted(set(listed) - set(contents)), sorted(set(contents) - set(listed))
        raise P2PError("bad_backup", f"{source}: missing {missing}, unexpected {extra}")
    for name, data in contents.items():
        if _sha256(data) != listed[name]["sha256"]:
            raise P2PError("bad_backup", f"{source}: {name} is damaged (its SHA-256 differs)")
    for name in (*SECRETS, CONFIG_FILE):
        if f"files/{name}" not in contents:
            raise P2PError("bad_backup", f"{source} lacks files/{name}")
    return manifest, contents


def _known(revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        ScriptDirectory.from_config(config).get_revision(revision)
    except Exception:
        raise P2PError(
            "bad_backup", f"the backup's schema {revision!r} is newer than this p2pvalue"
        ) from None


def _load(conn: Connection, manifest: dict[str, Any], contents: dict[str, bytes],
          progress: Progress) -> None:  # fmt: skip
    """Schema at the backup's revision, its rows, then the schema brought up to date."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, manifest["revision"])
    tables = {table.name: table for table in _tables(conn)}
    for name in manifest["members"]:
        if name.startswith("tables/") and name[7:-6] not in tables:
            raise P2PError("bad_backup", f"{name} is no table of schema {manifest['revision']}")
    for table in tables.values():
        rows = [
            {key: _decoded(value) for key, value in json.loads(line).items()}
            for line in contents.get(f"tables/{table.name}.jsonl", b"").splitlines()
        ]
        for start in range(0, len(rows), BATCH):
            conn.execute(table.insert(), rows[start : start + BATCH])
            progress(table.name, len(rows[start : start + BATCH]))
        if conn.dialect.name == "postgresql":
            _advance_sequences(conn, table)
    command.upgrade(config, "head")


def _advance_sequences(conn: Connection, table: Table) -> None:
    """PostgreSQL hands out serial ids after the restored ones, not from 1 again."""
    for column in table.primary_key.columns:
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column.name},
        ).scalar()
        if sequence:
            conn.execute(
                text(f"SELECT setval(:sequence, coalesce((SELECT max({column.name}) "
                     f"FROM {table.name}), 0) + 1, false)"),
                {"sequence": sequence},
            )  # fmt: skip


def restore(source: Path, data_dir: Path, database_url: str | None = None,
            progress: Progress = _quiet) -> Restored:  # fmt: skip
    """Bring the node in archive `source` back in the new folder `data_dir`, on an empty
    database (`database_url`, else SQLite in the folder); verified before it returns."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise P2PError("not_empty", f"{data_dir} is not empty: restore into a new folder")
    manifest, contents = _read(source)
    _known(manifest["revision"])
    staging = data_dir.with_name(f".{data_dir.name}.restoring")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    staged_url = database_url or sqlite_url(staging / DATABASE_FILE)
    engine = make_engine(staged_url)
    try:
        for name, data in contents.items():
            if name.startswith("files/"):
                path = staging / name.removeprefix("files/")
                path.write_bytes(data)
                path.chmod(0o600)
        stored = json.loads(contents[f"files/{CONFIG_FILE}"])
        stored.pop("database_url", None)
        if database_url:
            stored["database_url"] = database_url
        (staging / CONFIG_FILE).write_text(json.dumps(stored, indent=2) + "\n")
        with writing(engine) as conn:
            if inspect(conn).get_table_names():
                raise P2PError("not_empty", "the database already has tables: restore into "
                               "an empty one")  # fmt: skip
            _load(conn, manifest, contents, progress)
        engine.dispose()
        if data_dir.exists():
            data_dir.rmdir()
        staging.replace(data_dir)
    except BaseException:
        engine.dispose()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        return _verified(data_dir, database_url, manifest)
    except BaseException:
        # Nothing half-restored stays: not the folder, not the tables.
        shutil.rmtree(data_dir, ignore_errors=True)
        if database_url:  # SQLite's file went with the folder
            _drop_all(database_url)
        raise


def _drop_all(url: str) -> None:
    engine = make_engine(url)
    try:
        with writing(engine) as conn:
            everything = MetaData()
            everything.reflect(conn)
            everything.drop_all(conn)
    finally:
        engine.dispose()


def _verified(data_dir: Path, database_url: str | None, manifest: dict[str, Any]) -> Restored:
    """The restored node opened, every table's count and every space's log checked."""
    with Node(load_config(data_dir, database_url)) as node:
        if node.did != manifest["node"]:
            raise P2PError("bad_backup", f"the restored node is {node.did}, "
                           f"the backup's {manifest['node']}")  # fmt: skip
        counts: dict[str, int] = {}
        with node.engine.connect() as conn:
            for table in _tables(conn):
                counts[table.name] = conn.execute(
                    select(func.count()).select_from(table)
                ).scalar_one()
            spaces = [row[0] for row in conn.execute(select(events.c.space).distinct())]
            total = conn.execute(select(func.count()).select_from(events)).scalar_one()
        for name, entry in manifest["members"].items():
            kept = name[7:-6] if name.startswith("tables/") else None
            if kept and counts.get(kept) != entry["rows"]:
                raise P2PError("bad_backup", f"{kept}: {counts.get(kept)} rows restored, "
                               f"{entry['rows']} backed up")  # fmt: skip
        for space in spaces:
            problem = audit.verify(node, space)
            if problem:
                raise P2PError("bad_backup", f"space {space} does not verify: {problem}")
    return Restored(manifest["node"], counts, len(spaces), total)


def rows_of(conn: Connection) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every table's rows in a stable order: what a round trip must keep."""
    for table in _tables(conn):
        if table.name not in NOT_KEPT:
            yield table.name, [dict(r._mapping) for r in conn.execute(_ordered(table))]
