"""RFC 9421 signatures as a fediverse server sends them, made with `http-message-signatures`
and `cryptography` alone (no p2pvalue code), for the inbox tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSigner,
    HTTPSignatureKeyResolver,
    algorithms,
)

COVERED = ("@method", "@target-uri", "content-digest")


@dataclass
class _Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


class _Key(HTTPSignatureKeyResolver):
    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key

    def resolve_private_key(self, key_id: str) -> rsa.RSAPrivateKey:
        return self.key


def sign_request(
    key: rsa.RSAPrivateKey, key_id: str, method: str, url: str, body: bytes, *,
    created: datetime | None = None, covered: Sequence[str] = COVERED, pss: bool = False,
    include_alg: bool = False,
) -> dict[str, str]:  # fmt: skip
    """Content-Digest, Signature-Input and Signature of a request (labelled `sig1`, as
    Mastodon labels it), signed rsa-v1_5-sha256 (or rsa-pss-sha512 with `pss`)."""
    algorithm = algorithms.RSA_PSS_SHA512 if pss else algorithms.RSA_V1_5_SHA256
    signer = HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=_Key(key))
    request = _Request(method, url, {"Content-Type": "application/activity+json"})
    signer.sign(
        request, key_id=key_id, created=created or datetime.now(UTC), label="sig1",
        include_alg=include_alg or pss, covered_component_ids=tuple(covered),
        body=body if "content-digest" in covered else None,
    )  # fmt: skip
    if "content-digest" not in covered:
        # Sent, but left out of the signature (the library covers a digest it adds).
        request.headers["Content-Digest"] = ContentDigest.create(body)
    return request.headers
