"""Signed requests between nodes: RFC 9421 HTTP Message Signatures over Ed25519 `did:key`s.

A node signs what it sends with its own key, naming itself by its did in `keyid`. A node
that receives a request learns who sent it only from `verify_request`, which holds every
signature to one profile: algorithm ed25519, tag `p2pvalue`, a recent `created`, a nonce
not seen before, and coverage of the method, the target, the content type when there is
one and the RFC 9530 `Content-Digest` when there is a body.

The signature base and the Ed25519 check are `http-message-signatures`' (pyauth); this
module adds the keys, the profile and its refusals, a FastAPI dependency and an httpx auth.
"""

from __future__ import annotations

import base64
import heapq
import secrets
import threading
import time
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

import http_sf
import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, Request
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)

from p2pvalue.errors import P2PError, Unauthorized
from p2pvalue.events.keys import KeyPair, public_from_did

ALGORITHM = "ed25519"
TAG = "p2pvalue"
LABEL = "node"
MAX_AGE = 300
CLOCK_SKEW = 30
MAX_NONCE_LENGTH = 128
NONCE_STATE = "federation_nonces"
# @authority/@path/@query rather than @target-uri: a TLS-terminating proxy changes the
# scheme the receiving node sees, never the host, path or query it was asked for.
TARGET = ("@method", "@authority", "@path", "@query")
TARGET_URI = ("@method", "@target-uri")
SIGNING_FIELDS = ("content-digest", "signature-input", "signature")


@dataclass(frozen=True)
class Signable:
    """A signature base, and the `@signature-params` value it ends with."""

    base: bytes
    params: str


@dataclass(frozen=True)
class _Message:
    method: str
    url: str
    headers: dict[str, str]


def content_digest(body: bytes) -> str:
    """The RFC 9530 `Content-Digest` field value of `body`, with sha-256."""
    return ContentDigest.create(body)


def signature_base(
    method: str,
    url: str,
    headers: Mapping[str, str],
    *,
    components: Iterable[str],
    keyid: str,
    created: int,
    expires: int | None = None,
    nonce: str | None = None,
    tag: str | None = None,
    with_alg: bool = True,
) -> Signable:
    """The RFC 9421 signature base of a request over `components`; ValueError if it has none.

    Parameters come in the order created, keyid, alg, expires, nonce, tag.
    """
    message = _Message(method, url, dict(headers))
    has_digest = "content-digest" in _fields(headers)
    try:
        prepared = HTTPMessageSigner(signature_algorithm=algorithms.ED25519).prepare(
            message,
            key_id=keyid,
            created=datetime.fromtimestamp(created, UTC),
            expires=None if expires is None else datetime.fromtimestamp(expires, UTC),
            nonce=nonce,
            tag=tag,
            include_alg=with_alg,
            covered_component_ids=tuple(components),
            use_existing_digest=has_digest,
        )
    except HTTPMessageSignaturesException as exc:
        raise ValueError(str(exc)) from exc
    return Signable(prepared.signature_base, prepared.signature_params)


def sign_request(
    key: KeyPair,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes = b"",
    *,
    created: int | None = None,
    nonce: str | None = None,
    lifetime: int = MAX_AGE,
) -> dict[str, str]:
    """`headers` with a Content-Digest (for a body), Signature-Input and Signature added.

    The signature is this node's profile: keyid the key's did, expiring `lifetime` seconds
    after `created` (now by default), with a fresh random nonce unless one is given.
    """
    signed = {name: value for name, value in headers.items() if name.lower() not in SIGNING_FIELDS}
    if body:
        signed["Content-Digest"] = content_digest(body)
    present = _fields(signed)
    optional = [name for name in ("content-type", "content-digest") if name in present]
    when = int(time.time()) if created is None else created
    signable = signature_base(
        method,
        url,
        signed,
        components=(*TARGET, *optional),
        keyid=key.did,
        created=when,
        expires=when + lifetime,
        nonce=nonce or secrets.token_urlsafe(16),
        tag=TAG,
    )
    signature = base64.b64encode(key.sign(signable.base)).decode("ascii")
    signed["Signature-Input"] = f"{LABEL}={signable.params}"
    signed["Signature"] = f"{LABEL}=:{signature}:"
    return signed


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    max_age: int = MAX_AGE,
    seen_nonces: NonceCache,
    skew: int = CLOCK_SKEW,
) -> str:
    """The did of the node whose signature this request carries; a P2PError if there is none.

    Only a valid signature in this module's profile, not older than `max_age` seconds nor
    from beyond `skew` in the future, whose nonce `seen_nonces` had not yet recorded, is
    accepted; its nonce is then recorded.
    """
    fields = _fields(headers)
    signature = _our_signature(fields)
    sender = _sender(signature.params)
    created = _check_time(signature.params, now=now, max_age=max_age, skew=skew)
    nonce = _nonce(signature.params)
    _check_digest(fields, body)
    _check_coverage(signature.covered, fields, body)
    public = public_from_did(sender)
    if not signature_matches(method, url, headers, label=signature.label, public_key=public):
        raise Unauthorized("bad_signature", "the signature does not match this request and key")
    if not seen_nonces.remember(f"{sender} {nonce}", until=created + max_age + skew, now=now):
        raise Unauthorized("replayed_request", "this signature's nonce was already used")
    return sender


def signature_matches(
    method: str, url: str, headers: Mapping[str, str], *, label: str, public_key: bytes
) -> bool:
    """Whether the signature labelled `label` is valid for this request and Ed25519 key.

    Only the signature base and the Ed25519 check: no time, replay or coverage policy.
    """
    fields = _fields(headers)
    try:
        inputs = _dictionary(fields.get("signature-input", ""))
        signatures = _dictionary(fields.get("signature", ""))
        # Only the chosen signature is handed on, so that the others cannot get in its way.
        fields["signature-input"] = http_sf.ser({label: inputs[label]})
        fields["signature"] = http_sf.ser({label: signatures[label]})
    except (ValueError, TypeError, KeyError):
        return False
    verifier = _PolicyFreeVerifier(
        signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(public_key)
    )
    try:
        verifier.verify(_Message(method, url, fields), max_age=None)
    except HTTPMessageSignaturesException:
        return False
    return True


class _PolicyFreeVerifier(HTTPMessageVerifier):
    def validate_created_and_expires(self, sig_input: object, max_age: object = None) -> None:
        # verify_request has already judged the times, against the caller's clock.
        return None


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, public_key: bytes) -> None:
        self.public_key = public_key

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_key)


@dataclass(frozen=True)
class _Signature:
    label: str
    covered: frozenset[str]  # the components named without parameters
    params: Mapping[str, object]


def _fields(headers: Mapping[str, str]) -> dict[str, str]:
    """Field values by lowercase name; repeated lines joined by ", ", as RFC 9110 combines them."""
    lines: dict[str, list[str]] = {}
    for name, value in headers.items():
        lines.setdefault(name.lower(), []).append(value.strip(" \t"))
    return {name: ", ".join(values) for name, values in lines.items()}


def _dictionary(value: str) -> http_sf.DictionaryType:
    """A Structured Field Dictionary; ValueError if `value` is none, or repeats a key."""

    def refuse(key: str, context: str) -> None:
        if context == "dictionary":
            raise ValueError(f"the key {key!r} appears twice")

    parsed = http_sf.parse(value.encode("latin-1"), tltype="dictionary", on_duplicate_key=refuse)
    if not isinstance(parsed, dict):
        raise ValueError("not a dictionary")
    return parsed


def _bad_input(message: str) -> P2PError:
    return P2PError("bad_signature_input", message, 400)


def _our_signature(fields: Mapping[str, str]) -> _Signature:
    """The one signature in this module's profile (tag `p2pvalue`) that the request carries."""
    if "signature-input" not in fields and "signature" not in fields:
        raise Unauthorized("unsigned_request", "the request carries no signature")
    try:
        inputs = _dictionary(fields.get("signature-input", ""))
        signatures = _dictionary(fields.get("signature", ""))
    except ValueError as exc:  # UnicodeError among them
        raise _bad_input(f"Signature-Input or Signature is malformed: {exc}") from None
    ours = [label for label, member in inputs.items() if _params_of(member).get("tag") == TAG]
    if len(ours) != 1:
        raise _bad_input(f"expected one signature tagged {TAG!r}, found {len(ours)}")
    label = ours[0]
    components = inputs[label]
    signature = signatures.get(label)
    if not isinstance(signature, tuple) or not isinstance(signature[0], bytes):
        raise _bad_input(f"Signature has no byte sequence labelled {label!r}")
    if not isinstance(components, tuple) or not isinstance(components[0], list):
        raise _bad_input(f"Signature-Input {label!r} is not a list of components")
    return _Signature(label, _bare_names(components[0]), _params_of(components))


def _params_of(member: object) -> Mapping[str, object]:
    if isinstance(member, tuple) and len(member) == 2 and isinstance(member[1], dict):
        return member[1]
    return {}


def _bare_names(items: Sequence[object]) -> frozenset[str]:
    names = set()
    for item in items:
        if not isinstance(item, tuple) or not isinstance(item[0], str):
            raise _bad_input("a covered component is not a string")
        if not _params_of(item):
            names.add(item[0])
    return frozenset(names)


def _sender(params: Mapping[str, object]) -> str:
    """The did that `keyid` names, once `alg` (if given) is ed25519."""
    alg = params.get("alg", ALGORITHM)
    if alg != ALGORITHM:
        raise P2PError("unsupported_algorithm", f"only {ALGORITHM} is accepted, not {alg!r}", 400)
    keyid = params.get("keyid")
    if not isinstance(keyid, str):
        raise _bad_input("the signature has no keyid string")
    try:
        public_from_did(keyid)
    except ValueError as exc:
        raise Unauthorized("unknown_key", f"keyid is not an Ed25519 did:key: {exc}") from None
    return keyid


def _check_time(params: Mapping[str, object], *, now: float, max_age: int, skew: int) -> int:
    """The signature's `created`, once it and `expires` show the signature is current."""
    created, expires = params.get("created"), params.get("expires")
    if type(created) is not int or (expires is not None and type(expires) is not int):
        raise _bad_input("created (required) and expires must be integers")
    if created > now + skew:
        raise Unauthorized("stale_signature", "the signature was created in the future")
    if created < now - max_age - skew:
        raise Unauthorized("stale_signature", f"the signature is older than {max_age} s")
    if isinstance(expires, int) and expires < now - skew:
        raise Unauthorized("stale_signature", "the signature has expired")
    return created


def _nonce(params: Mapping[str, object]) -> str:
    nonce = params.get("nonce")
    if not isinstance(nonce, str) or not 0 < len(nonce) <= MAX_NONCE_LENGTH:
        raise _bad_input(
            f"the signature needs a nonce string of 1 to {MAX_NONCE_LENGTH} characters"
        )
    return nonce


def _check_digest(fields: Mapping[str, str], body: bytes) -> None:
    digest = fields.get("content-digest")
    if digest is None:
        if body:
            raise P2PError("digest_mismatch", "a request with a body needs a Content-Digest", 400)
        return
    try:
        ContentDigest.verify(digest, body)
    except (HTTPMessageSignaturesException, UnicodeError) as exc:
        raise P2PError(
            "digest_mismatch", f"the body fails its Content-Digest: {exc}", 400
        ) from None


def _check_coverage(covered: frozenset[str], fields: Mapping[str, str], body: bytes) -> None:
    required = set(TARGET) if set(TARGET_URI) - covered else set(TARGET_URI)
    if "content-type" in fields:
        required.add("content-type")
    if body or "content-digest" in fields:
        required.add("content-digest")
    missing = sorted(required - covered)
    if missing:
        raise P2PError("missing_component", f"the signature does not cover {missing}", 400)


class NonceCache:
    """Nonces of accepted signatures, each held until its signature could no longer pass.

    Bounded by `capacity`: when full, the entry nearest its expiry is forgotten first, so a
    flood of fresh signed requests could reopen a replay window for the oldest ones; the
    alternative, refusing every request until entries expire, would let that flood stop
    all federation instead.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError("a nonce cache holds at least one nonce")
        self.capacity = capacity
        self._until: dict[str, float] = {}
        self._expiries: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._until)

    def remember(self, nonce: str, *, until: float, now: float) -> bool:
        """Hold `nonce` until `until`; False, holding nothing new, if it is already held."""
        with self._lock:
            while self._expiries and self._expiries[0][0] <= now:
                self._forget_soonest()
            if nonce in self._until:
                return False
            while len(self._until) >= self.capacity:
                self._forget_soonest()
            self._until[nonce] = until
            heapq.heappush(self._expiries, (until, nonce))
            return True

    def _forget_soonest(self) -> None:
        _, nonce = heapq.heappop(self._expiries)
        del self._until[nonce]


async def signed_sender(request: Request) -> str:
    """The did of the node that signed this request, or a P2PError refusing it.

    Reads the body once (Starlette keeps it, so the route can read it again) and keeps the
    nonces on `request.app.state`, creating the cache on first use.
    """
    body = await request.body()
    return verify_request(
        request.method,
        _requested_url(request),
        request.headers,
        body,
        now=time.time(),
        seen_nonces=_nonce_cache(request),
    )


SignedSender = Annotated[str, Depends(signed_sender)]


def _requested_url(request: Request) -> str:
    """The URL as the sender wrote it: Host header and raw path, not their decoded forms."""
    scope = request.scope
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else quote(scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    host = request.headers.get("host") or request.url.netloc
    return f"{request.url.scheme}://{host}{path}" + (f"?{query}" if query else "")


def _nonce_cache(request: Request) -> NonceCache:
    cache = getattr(request.app.state, NONCE_STATE, None)
    if not isinstance(cache, NonceCache):
        cache = NonceCache()
        setattr(request.app.state, NONCE_STATE, cache)
    return cache


class NodeAuth(httpx.Auth):
    """httpx authentication that signs each request with a node's key (see `sign_request`)."""

    requires_request_body = True

    def __init__(self, key: KeyPair) -> None:
        self.key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        signed = sign_request(
            self.key, request.method, str(request.url), request.headers, request.content
        )
        for name in SIGNING_FIELDS:
            request.headers.pop(name, None)
        for name in ("Content-Digest", "Signature-Input", "Signature"):
            if name in signed:
                request.headers[name] = signed[name]
        yield request
