"""A node's data folder: its configuration, its own key and the keyring for member keys."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.utils

from p2pvalue.errors import P2PError
from p2pvalue.events.keys import KeyPair
from p2pvalue.store.database import sqlite_url

CONFIG_FILE = "config.json"
NODE_KEY_FILE = "node.key"
KEYRING_FILE = "keyring.key"
DATABASE_FILE = "p2pvalue.db"


@dataclass(frozen=True)
class NodeConfig:
    data_dir: Path
    database_url: str | None = None
    # Where other nodes reach this one (e.g. https://node.example): announced in the spaces
    # its members belong to. None: the node does not take part in federation.
    public_url: str | None = None
    # Whether fediverse requests (actor documents, inbox deliveries) may go to loopback
    # addresses: for tests and local development only; never on a node others can reach.
    fediverse_loopback: bool = False
    # Failed logins in a row an account name is allowed before it is locked, the first
    # lockout and the longest (seconds): each further failure doubles the lockout.
    login_free_failures: int = 5
    login_lockout_s: int = 30
    login_lockout_max_s: int = 3600

    @property
    def url(self) -> str:
        return self.database_url or sqlite_url(self.data_dir / DATABASE_FILE)

    def node_key(self) -> KeyPair:
        return KeyPair(_read_secret(self.data_dir / NODE_KEY_FILE))

    def keyring(self) -> bytes:
        return _read_secret(self.data_dir / KEYRING_FILE)


def init_data_dir(
    data_dir: Path, database_url: str | None = None, public_url: str | None = None,
    *, fediverse_loopback: bool = False,
) -> NodeConfig:  # fmt: skip
    """Create the folder, the node key and the keyring once; keep them if already there.
    `fediverse_loopback` is written to the configuration when set."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in (NODE_KEY_FILE, KEYRING_FILE):
        path = data_dir / name
        if not path.exists():
            _write_secret(path, nacl.utils.random(32))
    config_path = data_dir / CONFIG_FILE
    given = {"database_url": database_url, "public_url": public_url and public_url.rstrip("/"),
             "fediverse_loopback": fediverse_loopback}  # fmt: skip
    changes = {name: value for name, value in given.items() if value}
    if not config_path.exists() or changes:
        config = {**_stored(config_path), **changes} if config_path.exists() else changes
        # The database URL may hold a password: only the node's user may read the file.
        descriptor = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(json.dumps(config, indent=2) + "\n")
        config_path.chmod(0o600)
    return load_config(data_dir)


def load_config(
    data_dir: Path, database_url: str | None = None, public_url: str | None = None
) -> NodeConfig:
    """The configuration in `data_dir`; a `database_url` or `public_url` given here wins
    over the file's."""
    config_path = data_dir / CONFIG_FILE
    if not config_path.exists():
        raise P2PError("not_initialised", f"{data_dir} is not a node folder: run `p2pvalue init`")
    stored = _stored(config_path)
    url = public_url or stored.get("public_url")
    return NodeConfig(
        data_dir, database_url or stored.get("database_url"), url.rstrip("/") if url else None,
        stored.get("fediverse_loopback") is True,
    )  # fmt: skip


def _stored(config_path: Path) -> dict[str, Any]:
    try:
        stored = json.loads(config_path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise P2PError("bad_config", f"{config_path} cannot be read: {error}") from None
    if not isinstance(stored, dict):
        raise P2PError("bad_config", f"{config_path} does not hold a JSON object")
    return stored


def _write_secret(path: Path, secret: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secret)


def _read_secret(path: Path) -> bytes:
    try:
        secret = path.read_bytes()
    except OSError as error:
        raise P2PError("bad_key_file", f"{path} cannot be read: {error}") from None
    if len(secret) != 32:
        raise P2PError("bad_key_file", f"{path} does not hold a 32-byte key")
    return secret
