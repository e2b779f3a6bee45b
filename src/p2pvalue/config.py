"""A node's data folder: its configuration, its own key and the keyring for member keys."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nacl.utils

from p2pvalue import outbound
from p2pvalue.errors import P2PError
from p2pvalue.events.keys import KeyPair
from p2pvalue.mail import MailSettings
from p2pvalue.store.database import sqlite_url

CONFIG_FILE = "config.json"
NODE_KEY_FILE = "node.key"
KEYRING_FILE = "keyring.key"
DATABASE_FILE = "p2pvalue.db"


@dataclass(frozen=True)
class Rate:
    """A token bucket: up to `burst` requests at once, refilled at `per_minute`."""

    burst: int
    per_minute: float


@dataclass(frozen=True)
class RateLimits:
    """How fast one account, address, username or verified node may ask (`web.limits`);
    generous for a person at a browser, tight for a script. Tests tighten them."""

    writes_per_account: Rate = Rate(120, 120)
    writes_per_ip: Rate = Rate(600, 1200)
    logins_per_ip: Rate = Rate(30, 20)
    logins_per_username: Rate = Rate(10, 6)
    federation_per_node: Rate = Rate(200, 3000)
    federation_per_ip: Rate = Rate(400, 6000)
    # Events the log refuses or rejects, by the key that signed them and the node they
    # came from: an honest member seldom has one, a flood has thousands.
    refused_per_author: Rate = Rate(20, 6)
    refused_per_node: Rate = Rate(100, 60)


@dataclass(frozen=True)
class NodeConfig:
    data_dir: Path
    database_url: str | None = None
    # Where other nodes reach this one (e.g. https://node.example): announced in the spaces
    # its members belong to. None: the node does not take part in federation.
    public_url: str | None = None
    # Networks (CIDR) and host names this node may send requests to although they are not
    # public (see `outbound`): tests and local development ("127.0.0.0/8"), community
    # networks on a private LAN. Empty: only public addresses.
    outbound_allow: tuple[str, ...] = ()
    # Usernames of the node's admins: they decide what the node holds (node-wide replicas).
    admins: tuple[str, ...] = ()
    # How far from this node's clock the time of an action taken here may be (ms): an
    # author's time is a claim, and a local one far from the node's clock is refused.
    clock_skew_ms: int = 300_000
    limits: RateLimits = field(default_factory=RateLimits)
    # Failed logins in a row an account name is allowed before it is locked, the first
    # lockout and the longest (seconds): each further failure doubles the lockout.
    login_free_failures: int = 5
    login_lockout_s: int = 30
    login_lockout_max_s: int = 3600
    # The bearer token a Prometheus scraper presents at /metrics; None: only a client on
    # this machine, not behind a proxy, may read them.
    metrics_token: str | None = None
    # The SMTP server notifications are mailed through (`"mail"` in config.json); None:
    # the node sends no mail.
    mail: MailSettings | None = None
    # Where members open this node's pages, for the links in mail (e.g. https://node.example);
    # None: the public URL.
    site_url: str | None = None
    # The Redis server through which the workers of one node tell each other what they
    # committed and what changed in live documents (`"redis_url"`, or `--redis-url`); None:
    # the node is served by one process.
    redis_url: str | None = None

    @property
    def url(self) -> str:
        return self.database_url or sqlite_url(self.data_dir / DATABASE_FILE)

    @property
    def pages_url(self) -> str:
        """The base of links to this node's pages in mail; a local one when none is set."""
        return (self.site_url or self.public_url or "http://127.0.0.1:8000").rstrip("/")

    def node_key(self) -> KeyPair:
        return KeyPair(_read_secret(self.data_dir / NODE_KEY_FILE))

    def keyring(self) -> bytes:
        return _read_secret(self.data_dir / KEYRING_FILE)


def init_data_dir(
    data_dir: Path, database_url: str | None = None, public_url: str | None = None,
    *, outbound_allow: Sequence[str] = (), admins: Sequence[str] = (),
) -> NodeConfig:  # fmt: skip
    """Create the folder, the node key and the keyring once; keep them if already there.
    `outbound_allow` and `admins` are written to the configuration when given."""
    try:
        outbound.Policy.of(outbound_allow)
    except ValueError as error:
        raise P2PError("bad_config", f"outbound_allow: {error}") from None
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in (NODE_KEY_FILE, KEYRING_FILE):
        path = data_dir / name
        if not path.exists():
            _write_secret(path, nacl.utils.random(32))
    config_path = data_dir / CONFIG_FILE
    given = {"database_url": database_url, "public_url": public_url and public_url.rstrip("/"),
             "outbound_allow": list(outbound_allow), "admins": list(admins)}  # fmt: skip
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
    data_dir: Path, database_url: str | None = None, public_url: str | None = None,
    redis_url: str | None = None,
) -> NodeConfig:  # fmt: skip
    """The configuration in `data_dir`; a `database_url`, `public_url` or `redis_url` given
    here wins over the file's."""
    config_path = data_dir / CONFIG_FILE
    if not config_path.exists():
        raise P2PError("not_initialised", f"{data_dir} is not a node folder: run `p2pvalue init`")
    stored = _stored(config_path)
    url = public_url or stored.get("public_url")
    return NodeConfig(
        data_dir, database_url or stored.get("database_url"), url.rstrip("/") if url else None,
        _allowed(stored, config_path), _strings(stored, "admins", config_path),
        clock_skew_ms=_skew(stored), metrics_token=_token(stored, config_path),
        mail=_mail(stored, config_path), site_url=_site_url(stored, config_path),
        redis_url=redis_url or _redis_url(stored, config_path),
    )  # fmt: skip


def _redis_url(stored: dict[str, Any], config_path: Path) -> str | None:
    url = stored.get("redis_url")
    if url is not None and not (isinstance(url, str) and url.startswith(("redis://", "rediss://"))):
        raise P2PError("bad_config", f"{config_path}: redis_url is a redis:// URL")
    return url or None


def _token(stored: dict[str, Any], config_path: Path) -> str | None:
    """`metrics_token`: absent, or a string long enough not to be guessed."""
    token = stored.get("metrics_token")
    if token is None:
        return None
    if not isinstance(token, str) or len(token) < 16:
        raise P2PError("bad_config", f"{config_path}: metrics_token must be 16 characters or more")
    return token


def _mail(stored: dict[str, Any], config_path: Path) -> MailSettings | None:
    given = stored.get("mail")
    if given is None:
        return None
    if not isinstance(given, dict):
        raise P2PError("bad_config", f"{config_path}: mail must be an object")
    try:
        return MailSettings.of(given)
    except P2PError as error:
        raise P2PError("bad_config", f"{config_path}: {error.message}") from None


def _site_url(stored: dict[str, Any], config_path: Path) -> str | None:
    url = stored.get("site_url")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise P2PError("bad_config", f"{config_path}: site_url is an http(s) URL")
    return url.rstrip("/") if url else None


def _allowed(stored: dict[str, Any], config_path: Path) -> tuple[str, ...]:
    """`outbound_allow`, each entry checked; `"fediverse_loopback": true`, its older
    form, allows loopback."""
    allowed = _strings(stored, "outbound_allow", config_path)
    if stored.get("fediverse_loopback") is True:
        allowed += outbound.LOOPBACK
    try:
        outbound.Policy.of(allowed)
    except ValueError as error:
        raise P2PError("bad_config", f"{config_path}: outbound_allow: {error}") from None
    return allowed


def _strings(stored: dict[str, Any], name: str, config_path: Path) -> tuple[str, ...]:
    value = stored.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise P2PError("bad_config", f"{config_path}: {name} must be a list of strings")
    return tuple(value)


def _skew(stored: dict[str, Any]) -> int:
    skew = stored.get("clock_skew_ms", NodeConfig.clock_skew_ms)
    if not isinstance(skew, int) or isinstance(skew, bool) or skew < 1000:
        raise P2PError("bad_config", "clock_skew_ms is a whole number of ms, at least 1000")
    return skew


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
