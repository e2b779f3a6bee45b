"""RFC 9421 HTTP Message Signatures as fediverse servers send them to an inbox
(`Signature-Input` and `Signature`, with an RFC 9530 `Content-Digest` of the body), over the
actor's RSA key: `rsa-v1_5-sha256` (the default when `alg` is not given, as Mastodon signs)
or `rsa-pss-sha512`.

The signature base and the RSA check are `http-message-signatures`' (as between nodes, in
`federation.signatures`); this module holds a signature to the inbox's profile and refuses
with the same codes as the cavage form: it covers the method, the target and the digest,
it was created within five minutes of now, and the digest matches the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import http_sf
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)

from p2pvalue.errors import P2PError, Unauthorized

MAX_SKEW_S = 300
DEFAULT_ALGORITHM = "rsa-v1_5-sha256"
ALGORITHMS: dict[str, Any] = {
    "rsa-v1_5-sha256": algorithms.RSA_V1_5_SHA256,
    "rsa-pss-sha512": algorithms.RSA_PSS_SHA512,
}
# `@target-uri`, or `@authority` and `@path` (a proxy may change the scheme the node sees).
TARGETS = (frozenset({"@method", "@target-uri"}), frozenset({"@method", "@authority", "@path"}))


@dataclass(frozen=True)
class MessageSignature:
    """One RFC 9421 signature of a request, chosen by its `label`, once its profile checks out."""

    label: str
    key_id: str
    algorithm: str
    created: int


def is_message_signed(headers: Mapping[str, str]) -> bool:
    """Whether a request is signed the RFC 9421 way (it has a `Signature-Input`)."""
    return "signature-input" in headers


def check_message(headers: Mapping[str, str], body: bytes, now: datetime) -> MessageSignature:
    """The request's signature once everything but the key checks out: well-formed, with
    a keyid and an accepted alg, covering the method, target and `content-digest`, created
    within five minutes of `now` and not expired, its Content-Digest matching `body`.
    `headers` are keyed by lowercase name."""
    label, components, params = _first_signature(headers)
    key_id, algorithm = params.get("keyid"), params.get("alg", DEFAULT_ALGORITHM)
    if not isinstance(key_id, str) or not key_id:
        raise _bad("the signature has no keyid")
    if algorithm not in ALGORITHMS:
        raise _bad(f"alg {algorithm!r} is not accepted: only {sorted(ALGORITHMS)}")
    if not any(target <= components for target in TARGETS) or "content-digest" not in components:
        raise Unauthorized(
            "incomplete_signature",
            "the signature must cover @method, @target-uri (or @authority and @path) and "
            f"content-digest; it covers {sorted(components)}",
        )
    created = _check_time(params, now)
    _check_digest(headers.get("content-digest", ""), body)
    return MessageSignature(label, key_id, str(algorithm), created)


def verify_message(
    signature: MessageSignature, method: str, url: str, headers: Mapping[str, str],
    public_key: rsa.RSAPublicKey,
) -> bool:  # fmt: skip
    """Whether `signature` is `public_key`'s signature over this request to `url` (the URL
    the sender addressed: the node's public scheme and host, the raw path and query)."""
    fields = dict(headers)
    try:
        inputs, signatures = (
            _dictionary(fields["signature-input"]),
            _dictionary(fields["signature"]),
        )
        # Only the chosen signature is handed on, so that others cannot get in its way.
        fields["signature-input"] = http_sf.ser({signature.label: inputs[signature.label]})
        fields["signature"] = http_sf.ser({signature.label: signatures[signature.label]})
    except (ValueError, TypeError, KeyError):
        return False
    verifier = _TimeCheckedVerifier(
        signature_algorithm=ALGORITHMS[signature.algorithm], key_resolver=_OneKey(public_key)
    )
    try:
        verifier.verify(_Request(method, url, fields), max_age=None)
    except HTTPMessageSignaturesException:
        return False
    return True


@dataclass(frozen=True)
class _Request:
    method: str
    url: str
    headers: dict[str, str]


class _TimeCheckedVerifier(HTTPMessageVerifier):
    def validate_created_and_expires(self, sig_input: object, max_age: object = None) -> None:
        # check_message has judged the times already, against the node's clock.
        return None


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, public_key: rsa.RSAPublicKey) -> None:
        self.public_key = public_key

    def resolve_public_key(self, key_id: str) -> rsa.RSAPublicKey:
        return self.public_key


def _first_signature(headers: Mapping[str, str]) -> tuple[str, frozenset[str], dict[str, Any]]:
    """The label, covered component names and parameters of the first signature."""
    try:
        inputs = _dictionary(headers.get("signature-input", ""))
        signatures = _dictionary(headers.get("signature", ""))
    except ValueError as error:  # UnicodeError among them
        raise _bad(f"Signature-Input or Signature is malformed: {error}") from None
    if not inputs:
        raise _bad("Signature-Input names no signature")
    label, member = next(iter(inputs.items()))
    value = signatures.get(label)
    if not isinstance(value, tuple) or not isinstance(value[0], bytes):
        raise _bad(f"Signature has no byte sequence labelled {label!r}")
    if not isinstance(member, tuple) or not isinstance(member[0], list):
        raise _bad(f"Signature-Input {label!r} is not a list of components")
    names = frozenset(
        item[0] for item in member[0] if isinstance(item, tuple) and isinstance(item[0], str)
    )
    params = member[1] if isinstance(member[1], dict) else {}
    return str(label), names, params


def _dictionary(value: str) -> dict[str, Any]:
    """A Structured Field Dictionary; ValueError if `value` is none, or repeats a key."""

    def refuse(key: str, context: str) -> None:
        if context == "dictionary":
            raise ValueError(f"the key {key!r} appears twice")

    parsed = http_sf.parse(value.encode("latin-1"), tltype="dictionary", on_duplicate_key=refuse)
    if not isinstance(parsed, dict):
        raise ValueError("not a dictionary")
    return parsed


def _check_time(params: Mapping[str, Any], now: datetime) -> int:
    created, expires = params.get("created"), params.get("expires")
    if type(created) is not int or (expires is not None and type(expires) is not int):
        raise _bad("the signature needs an integer created (and expires, if given)")
    skew = abs(now.timestamp() - created)
    if skew > MAX_SKEW_S:
        raise Unauthorized(
            "stale_activity",
            f"the signature was created {int(skew)} s from now; at most {MAX_SKEW_S}",
        )
    if isinstance(expires, int) and expires < now.timestamp():
        raise Unauthorized("stale_activity", "the signature has expired")
    return created


def _check_digest(value: str, body: bytes) -> None:
    if not value:
        raise P2PError("digest_mismatch", "the request has no Content-Digest of its body", 400)
    try:
        ContentDigest.verify(value, body)
    except (HTTPMessageSignaturesException, UnicodeError, ValueError):
        raise P2PError(
            "digest_mismatch", "the body does not match its Content-Digest", 400
        ) from None


def _bad(message: str) -> Unauthorized:
    return Unauthorized("bad_activity_signature", message)
