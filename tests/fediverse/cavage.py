"""An independent implementation of draft-cavage-http-signatures-12 with rsa-sha256, for
the tests: written from the draft and Mastodon's documentation, sharing no code with
`p2pvalue.fediverse.signatures`, so each side checks the other."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Mapping, Sequence
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import urlparse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

REQUIRED_POST = ("(request-target)", "host", "date", "digest")
REQUIRED_GET = ("(request-target)", "host", "date")


def sha256_digest(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def sign_request(
    key: rsa.RSAPrivateKey,
    key_id: str,
    method: str,
    url: str,
    body: bytes | None,
    *,
    date: float | None = None,
    covered: Sequence[str] | None = None,
    algorithm: str = "rsa-sha256",
) -> dict[str, str]:
    """Host, Date, Digest (for a body) and Signature headers for a request, as Mastodon
    sends them; `covered` overrides which headers the signature covers."""
    parsed = urlparse(url)
    target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    headers = {"host": parsed.netloc, "date": formatdate(date or time.time(), usegmt=True)}
    if body is not None:
        headers["digest"] = sha256_digest(body)
    names = list(covered or (REQUIRED_POST if body is not None else REQUIRED_GET))
    lines = [
        f"(request-target): {method.lower()} {target}" if name == "(request-target)"
        else f"{name}: {headers[name]}"
        for name in names
    ]  # fmt: skip
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["signature"] = ",".join([
        f'keyId="{key_id}"', f'algorithm="{algorithm}"', f'headers="{" ".join(names)}"',
        f'signature="{base64.b64encode(signature).decode()}"',
    ])  # fmt: skip
    return {name.capitalize(): value for name, value in headers.items()}


def check_signature(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes | None,
    public_pem: str,
    required: Sequence[str],
) -> str | None:
    """Why this request's signature fails under `public_pem`, or None when it holds: it
    must be rsa-sha256, cover `required`, date within five minutes, digest its body."""
    lower = {name.lower(): value for name, value in headers.items()}
    params = dict(re.findall(r'(\w+)="([^"]*)"', lower.get("signature", "")))
    if params.get("algorithm") != "rsa-sha256":
        return f"algorithm {params.get('algorithm')!r}"
    names = params.get("headers", "").split(" ")
    if not set(required) <= set(names):
        return f"covers only {names}"
    if abs(time.time() - parsedate_to_datetime(lower["date"]).timestamp()) > 300:
        return "stale date"
    if body is not None and lower.get("digest") != sha256_digest(body):
        return "digest does not match the body"
    text = "\n".join(
        f"(request-target): {method.lower()} {target}" if name == "(request-target)"
        else f"{name}: {lower[name]}"
        for name in names
    )  # fmt: skip
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(
            base64.b64decode(params["signature"]), text.encode(), padding.PKCS1v15(),
            hashes.SHA256(),
        )  # fmt: skip
    except InvalidSignature:
        return "the signature does not verify"
    return None


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_of(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
