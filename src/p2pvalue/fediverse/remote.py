"""Other servers' actors, as far as this node needs them: the key a signature names, the
actor that owns it and that actor's inboxes. Fetched with a signed GET (instances in
authorized-fetch mode ask for one) and cached for an hour. Every URL fetched, and the
actor's inboxes, must pass `outbound.check_url`, and every request goes through
`outbound.Outbound`: no request goes to this node's own or private network on an actor's
word."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag, urlsplit

import httpx
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from p2pvalue import outbound
from p2pvalue.errors import Unauthorized
from p2pvalue.fediverse.signatures import sign

LOG = logging.getLogger(__name__)
ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
MAX_DOCUMENT_BYTES = 256 * 1024
MAX_URL = 500
CACHE_SECONDS = 3600.0
CACHE_SIZE = 10_000
FETCH_SECONDS = 10.0


@dataclass(frozen=True)
class RemoteActor:
    """An actor of another server: its id, inboxes, and the key one of its signatures named;
    and how it shows itself (`preferredUsername`, `name`, profile `url`), when it says."""

    id: str
    inbox: str
    shared_inbox: str | None
    key_id: str
    public_key: rsa.RSAPublicKey
    username: str | None = None
    name: str | None = None
    url: str | None = None


def actor_from(document: Mapping[str, Any], key_id: str) -> RemoteActor:
    """The actor a fetched document describes, holding the RSA key `key_id`;
    `unknown_actor_key` if it does not."""
    keys = document.get("publicKey")
    listed = keys if isinstance(keys, list) else [keys]
    key = next((k for k in listed if isinstance(k, dict) and k.get("id") == key_id), None)
    if key is None:
        raise _unknown(f"the actor document of {key_id!r} does not hold that key")
    actor, inbox = document.get("id"), document.get("inbox")
    if key.get("owner", actor) != actor or not _url(actor) or not _url(inbox):
        raise _unknown(f"the document of {key_id!r} is not an actor with an id and an inbox")
    endpoints = document.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    try:
        public = serialization.load_pem_public_key(str(key.get("publicKeyPem", "")).encode())
    except ValueError:
        raise _unknown(f"{key_id!r} is not a PEM public key") from None
    if not isinstance(public, rsa.RSAPublicKey):
        raise _unknown(f"{key_id!r} is not an RSA key: only rsa-sha256 is accepted")
    return RemoteActor(str(actor), str(inbox), str(shared) if _url(shared) else None,
                       key_id, public, _short(document.get("preferredUsername")),
                       _short(document.get("name")), _profile(document.get("url")))  # fmt: skip


class RemoteActors:
    """Fetches and caches the actors behind key ids; `signer` signs each GET."""

    def __init__(
        self, signer: Callable[[str], dict[str, str]], *, cache_seconds: float = CACHE_SECONDS,
        policy: outbound.Policy | None = None,
    ) -> None:  # fmt: skip
        """`policy`: the addresses requests may go to besides public ones (the node's)."""
        self.signer = signer
        self.cache_seconds = cache_seconds
        self.policy = policy or outbound.Policy()
        self._cache: OrderedDict[str, tuple[float, RemoteActor]] = OrderedDict()

    async def by_key(self, key_id: str, *, fresh: bool = False) -> RemoteActor:
        """The actor owning `key_id`, from the cache unless `fresh` or expired."""
        cached = self._cache.get(key_id)
        if cached is not None and not fresh and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        actor = await self._fetch(key_id)
        self._cache[key_id] = (time.monotonic(), actor)
        self._cache.move_to_end(key_id)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return actor

    def fetched_recently(self, key_id: str, seconds: float = 60.0) -> bool:
        """Whether `key_id` was fetched in the last `seconds`: then fetching it again
        would not find another key, only load the other server."""
        cached = self._cache.get(key_id)
        return cached is not None and time.monotonic() - cached[0] < seconds

    async def _fetch(self, key_id: str) -> RemoteActor:
        url = urldefrag(key_id).url
        if not _url(url):
            raise _unknown(f"keyId {key_id!r} is not an http(s) URL")
        document = await self._get(url)
        if "publicKeyPem" in document and isinstance(document.get("owner"), str):
            # The key is a document of its own: its owner holds it among its keys.
            document = await self._get(document["owner"])
        actor = actor_from(document, key_id)
        if _origin(actor.id) != _origin(key_id):
            # Else a server could claim another server's actor as the owner of its own key.
            raise _unknown(f"the actor {actor.id!r} is not on the host of its key {key_id!r}")
        for inbox in (actor.inbox, actor.shared_inbox):
            if inbox is not None:
                await self._check(inbox)
        return actor

    async def _check(self, url: str) -> None:
        """Refuse a URL no request may go to (`forbidden_url`, `forbidden_address`)."""
        try:
            await outbound.check_url(url, self.policy)
        except OSError as error:
            LOG.info("the host of %s does not resolve: %r", url, error)
            raise _unknown(f"{url} cannot be fetched") from None

    async def _get(self, url: str) -> dict[str, Any]:
        await self._check(url)
        headers = {"Accept": ACCEPT, **self.signer(url)}
        try:
            async with outbound.Outbound(
                self.policy, timeout=FETCH_SECONDS, max_bytes=MAX_DOCUMENT_BYTES
            ) as http:
                response = await http.get(url, headers=headers)
        except httpx.HTTPError as error:
            LOG.info("fetching the actor document %s failed: %r", url, error)
            raise _unknown(f"{url} cannot be fetched") from None
        if response.status_code != 200:
            # The status stays in the log: told to the sender, it would let anyone probe
            # what answers where on this node's network.
            LOG.info("the actor document %s answered %d", url, response.status_code)
            raise _unknown(f"{url} cannot be fetched")
        try:
            document = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise _unknown(f"{url} did not answer JSON") from None
        if not isinstance(document, dict):
            raise _unknown(f"{url} did not answer a JSON object")
        return document


def signed_get(key: rsa.RSAPrivateKey, key_id: str) -> Callable[[str], dict[str, str]]:
    """A signer for GETs: the headers that sign a GET of a URL as `key_id`, now."""
    return lambda url: sign(key, key_id, "GET", url, None, datetime.now(UTC))


def _url(value: object) -> bool:
    if not isinstance(value, str) or len(value) > MAX_URL:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _short(value: object) -> str | None:
    """A name an actor gives itself, if it is a string, cut to 200 characters."""
    if not isinstance(value, str):
        return None
    return value.strip()[:200] or None


def _profile(value: object) -> str | None:
    """The profile page an actor's `url` names: a URL, or the first link's `href`."""
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("href")
    return value if isinstance(value, str) and _url(value) else None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def _unknown(message: str) -> Unauthorized:
    return Unauthorized("unknown_actor_key", message)
