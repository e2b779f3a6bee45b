"""HTTP Signatures as the fediverse uses them: draft-cavage-http-signatures-12 with
rsa-sha256 (what Mastodon sends and verifies), plus the `Digest` header of RFC 3230.

Written here over `cryptography` rather than taken from a library: the Python packages for
it are either RFC 9421 only (`http-message-signatures`, already used between nodes) or
unmaintained, and the profile is small. Signing and the checks that need no key are pure;
`check_request` and `verify` raise `P2PError`s with the codes the inbox answers.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from p2pvalue.errors import P2PError, Unauthorized

MAX_SKEW_S = 300
ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
SIGNED_POST = ("(request-target)", "host", "date", "digest")
SIGNED_GET = ("(request-target)", "host", "date")
_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|(\d+))\s*(?:,|$)')


@dataclass(frozen=True)
class Signature:
    """A parsed `Signature` header."""

    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes
    created: int | None = None
    expires: int | None = None


def digest(body: bytes) -> str:
    """The `Digest` header value of `body`: `SHA-256=` and the base64 of its hash."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def http_date(moment: datetime) -> str:
    """`moment` as an HTTP date (`Tue, 07 Jun 2014 20:51:35 GMT`)."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def request_target(method: str, url: str) -> str:
    """The `(request-target)` value: the lowercase method, a space, the path and query."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{method.lower()} {path}" + (f"?{parts.query}" if parts.query else "")


def signing_string(target: str, headers: Mapping[str, str], names: Sequence[str],
                   signature: Signature | None = None) -> str:  # fmt: skip
    """The string a signature covers: one `name: value` line per covered header, in order.

    `headers` are keyed by lowercase name; `target` is the `(request-target)` value.
    KeyError names a covered header that is not there.
    """
    lines = []
    for name in names:
        if name == "(request-target)":
            value = target
        elif name in ("(created)", "(expires)"):
            found = getattr(signature, name[1:-1], None) if signature else None
            if found is None:
                raise KeyError(name)
            value = str(found)
        else:
            value = headers[name]
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def sign(
    key: rsa.RSAPrivateKey, key_id: str, method: str, url: str, body: bytes | None,
    now: datetime,
) -> dict[str, str]:  # fmt: skip
    """The headers that sign a request to `url`: Host, Date, Digest (with a body) and
    Signature over `(request-target) host date [digest]` with rsa-sha256."""
    headers = {"host": urlsplit(url).netloc.rsplit("@", 1)[-1], "date": http_date(now)}
    names: Sequence[str] = SIGNED_GET
    if body is not None:
        headers["digest"] = digest(body)
        names = SIGNED_POST
    text = signing_string(request_target(method, url), headers, names)
    signed = key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    headers["signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signed).decode("ascii")}"'
    )
    return {name.title(): value for name, value in headers.items()}


def parse_signature(value: str) -> Signature:
    """The parts of a `Signature` header; `bad_activity_signature` if it is not one."""
    params: dict[str, str] = {}
    position = 0
    while position < len(value):
        match = _PARAM.match(value, position)
        if match is None or match.end() == position:
            raise _bad('the Signature header is not a list of name="value" parameters')
        name = match.group(1)
        params[name] = match.group(2) if match.group(2) is not None else match.group(3)
        position = match.end()
    for required in ("keyId", "signature", "headers"):
        if not params.get(required):
            raise _bad(f"the Signature header has no {required}")
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in ALGORITHMS:
        raise _bad(f"algorithm {algorithm!r} is not accepted: only rsa-sha256 (or hs2019)")
    try:
        raw = base64.b64decode(params["signature"], validate=True)
    except ValueError:
        raise _bad("the signature is not base64") from None
    created, expires = params.get("created"), params.get("expires")
    return Signature(
        params["keyId"], algorithm, tuple(params["headers"].lower().split()), raw,
        int(created) if created else None, int(expires) if expires else None,
    )  # fmt: skip


def check_request(
    method: str, target: str, headers: Mapping[str, str], body: bytes, now: datetime,
    required: Sequence[str] = SIGNED_POST,
) -> Signature:  # fmt: skip
    """The request's signature once everything but the key checks out: it is there and
    well-formed, covers `required`, its Date is within five minutes of `now` and its Digest
    matches `body`. `headers` are keyed by lowercase name."""
    if "signature" not in headers:
        raise Unauthorized("unsigned_activity", "the request carries no Signature header")
    signature = parse_signature(headers["signature"])
    missing = [name for name in required if name not in signature.headers]
    if missing:
        raise Unauthorized("incomplete_signature", f"the signature does not cover {missing}")
    absent = [n for n in signature.headers if not n.startswith("(") and n not in headers]
    if absent:
        raise Unauthorized("incomplete_signature", f"the signed headers {absent} are not sent")
    _check_date(headers.get("date", ""), now)
    if "digest" in headers or body:
        _check_digest(headers.get("digest", ""), body)
    return signature


def verify(signature: Signature, target: str, headers: Mapping[str, str],
           public_key: rsa.RSAPublicKey) -> bool:  # fmt: skip
    """Whether `signature` is `public_key`'s rsa-sha256 signature over this request."""
    try:
        text = signing_string(target, headers, signature.headers, signature)
        public_key.verify(
            signature.signature, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, KeyError, ValueError):
        return False
    return True


def _check_date(value: str, now: datetime) -> None:
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise Unauthorized("stale_activity", f"the Date header {value!r} is not a date") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    skew = abs((now - sent).total_seconds())
    if skew > MAX_SKEW_S:
        raise Unauthorized(
            "stale_activity", f"the Date is {int(skew)} s away from now; at most {MAX_SKEW_S}"
        )


def _check_digest(value: str, body: bytes) -> None:
    sha256 = [p.strip()[8:] for p in value.split(",") if p.strip().lower().startswith("sha-256=")]
    if not sha256:
        raise P2PError("digest_mismatch", "the request has no SHA-256 Digest of its body", 400)
    if sha256[0] != digest(body)[8:]:
        raise P2PError("digest_mismatch", "the body does not match its SHA-256 Digest", 400)


def _bad(message: str) -> Unauthorized:
    return Unauthorized("bad_activity_signature", message)
