"""Canonical encoding (RFC 8785) and the rules signed values must follow."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

import rfc8785

from p2pvalue.errors import EventError

MAX_SAFE_INTEGER = 2**53 - 1
MAX_NESTING = 32


def b64u(data: bytes) -> str:
    """Base64url without padding, the text form of every hash and signature."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    """Decode `b64u` text; raises ValueError on anything else."""
    if not isinstance(text, str) or "=" in text:
        raise ValueError("not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_signed_value(value: Any, path: str = "$", depth: int = 0) -> None:
    """Refuse anything that cannot be signed and re-encoded identically everywhere.

    Only objects with string keys, arrays, strings, booleans, null and integers within
    ±(2**53 - 1) are allowed: floats round differently across languages, and larger
    integers do not survive a JSON number.
    """
    if depth > MAX_NESTING:
        raise EventError("too_deeply_nested", f"{path} nests deeper than {MAX_NESTING} levels")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise EventError("integer_out_of_range", f"{path} is outside ±(2**53 - 1)")
        return
    if isinstance(value, float):
        raise EventError("float_in_signed_content", f"{path} is a float; use integers")
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_signed_value(item, f"{path}[{index}]", depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EventError("malformed_event", f"{path} has a non-string key")
            check_signed_value(item, f"{path}.{key}", depth + 1)
        return
    raise EventError("malformed_event", f"{path} holds an unsupported {type(value).__name__}")


def canonical(value: Any) -> bytes:
    """The RFC 8785 (JCS) bytes of a value already accepted by `check_signed_value`."""
    return bytes(rfc8785.dumps(value))


def digest(value: Any) -> str:
    """The b64u SHA-256 of a value's canonical bytes: the content address used everywhere."""
    return b64u(hashlib.sha256(canonical(value)).digest())
