"""Canonical encoding (RFC 8785) and the rules signed values must follow."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any

import orjson
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
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return
    if depth > MAX_NESTING:
        raise EventError("too_deeply_nested", f"{path} nests deeper than {MAX_NESTING} levels")
    if kind is int:
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise EventError("integer_out_of_range", f"{path} is outside ±(2**53 - 1)")
    elif kind is float:
        raise EventError("float_in_signed_content", f"{path} is a float; use integers")
    elif kind is list:
        for index, item in enumerate(value):
            if type(item) is not str:
                check_signed_value(item, f"{path}[{index}]", depth + 1)
    elif kind is dict or isinstance(value, Mapping):
        for key, item in value.items():
            if type(key) is not str:
                raise EventError("malformed_event", f"{path} has a non-string key")
            item_kind = type(item)
            # The common leaves are checked here rather than in a call each.
            if item_kind is str or (
                item_kind is int
                and depth < MAX_NESTING
                and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER
            ):
                continue
            check_signed_value(item, f"{path}.{key}", depth + 1)
    else:
        raise EventError("malformed_event", f"{path} holds an unsupported {kind.__name__}")


# UTF-8 lead bytes of U+E000 and above. Below U+E000, sorting keys by UTF-8 bytes (what
# orjson does) and by UTF-16 code units (what RFC 8785 asks) agree.
_ORDER_MAY_DIFFER = re.compile(rb"[\xee-\xf4]")
# How both encoders write NUL; a literal backslash before "u0000" is written doubled, so
# finding this is a hint checked by `_refuse_nul`, never a refusal by itself.
_NUL = b"\\u0000"


def canonical(value: Any) -> bytes:
    """The RFC 8785 (JCS) bytes of a value already accepted by `check_signed_value`.

    For such values orjson with sorted keys writes the same bytes as RFC 8785 (integers
    only, the same string escapes) forty times faster; the pure-Python encoder is kept for
    text where the two key orders could differ, and for what orjson refuses.
    Text that is not Unicode (a lone surrogate) or that holds NUL is refused
    (`invalid_text`): neither can be stored alike by every node and every database.
    """
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        encoded = _jcs(value)
    else:
        if not encoded.isascii() and _ORDER_MAY_DIFFER.search(encoded):
            encoded = _jcs(value)
    if _NUL in encoded:
        _refuse_nul(value, "$")
    return encoded


def _jcs(value: Any) -> bytes:
    try:
        return bytes(rfc8785.dumps(value))
    except rfc8785.CanonicalizationError:
        problem = "text holds a lone surrogate, which is not Unicode"
        raise EventError("invalid_text", problem) from None


def _refuse_nul(value: Any, path: str) -> None:
    """Raise `invalid_text` naming the first string (or key) under `value` that holds NUL.
    Called only when the encoding shows the escape, so the walk is rare."""
    if isinstance(value, str):
        if "\x00" in value:
            raise EventError("invalid_text", f"{path} holds a NUL character")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_nul(key, f"{path} (a key)")
            _refuse_nul(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_nul(item, f"{path}[{index}]")


def digest(value: Any) -> str:
    """The b64u SHA-256 of a value's canonical bytes: the content address used everywhere."""
    return b64u(hashlib.sha256(canonical(value)).digest())
