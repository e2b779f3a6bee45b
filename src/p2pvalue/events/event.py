"""Events: the signed envelope, its content beside it, content-addressed ids.

The signature covers the canonical bytes of the *envelope*, which names the content only by
its hash (`content_hash`). The content travels beside the envelope, so it can later be
erased or stored encrypted while the log still verifies. The event id is the b64u SHA-256
of the same envelope bytes that are signed.

An *erased* event is its envelope and signature without the content: its author asked for
it (`content.erase`). Only the types its catalog marks erasable may travel so, the ones no
authority, figure or other member's record depends on.

A *sealed* event belongs to a private space: its content is `{"space_key", "ciphertext"}` (see
`events.sealing`), checked here for shape only; a node holding the space key opens it
and checks what is inside (`opened`), as the write path does.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson

from p2pvalue.errors import EventError
from p2pvalue.events import keys
from p2pvalue.events.canonical import b64u, canonical, check_signed_value, digest, unb64u
from p2pvalue.events.charter import charter_from_content
from p2pvalue.events.types import event_type, installed, parse_content

VERSION = 1
EVENT_ID = re.compile(r"[A-Za-z0-9_-]{43}")
MAX_EVENT_BYTES = 64 * 1024
MAX_PREV = 20
MAX_FUTURE_MS = 5 * 60 * 1000
ENVELOPE_FIELDS = ("v", "space", "type", "author", "prev", "depth", "ts", "content_hash")
WIRE_FIELDS = frozenset((*ENVELOPE_FIELDS, "content", "sig", "id"))
FIELD_TYPES: dict[str, type] = {
    "v": int, "type": str, "author": str, "prev": list, "depth": int, "ts": int,
    "content_hash": str, "content": dict, "sig": str, "space": str, "id": str,
}  # fmt: skip
REQUIRED_FIELDS = ("v", "type", "author", "prev", "depth", "ts", "content_hash", "sig")


@dataclass(frozen=True, slots=True)
class Event:
    """A verified event. `body` is the canonical encoding that is stored and exported."""

    id: str
    space: str
    type: str
    author: str
    prev: tuple[str, ...]
    depth: int
    ts: int
    content: Mapping[str, Any]
    sig: str
    body: bytes
    erased: bool = False
    sealed: bool = False
    opened: bool = False

    @property
    def readable(self) -> bool:
        return not self.sealed or self.opened

    def open_with(self, content: Mapping[str, Any]) -> Event:
        """This sealed event with the content its space key revealed, checked against its
        type's schema; `body` stays the sealed event, exactly as it travels."""
        parse_content(self.type, content)
        if self.type == "space.create":
            charter_from_content(content["charter"])
        return replace(self, content=content, opened=True)

    @property
    def wire(self) -> dict[str, Any]:
        """The event as it travels: envelope, content and signature."""
        wire: dict[str, Any] = orjson.loads(self.body)
        return wire


def now_ms() -> int:
    return int(time.time() * 1000)


def build_event(
    key: keys.KeyPair,
    type: str,
    content: Mapping[str, Any],
    *,
    space: str | None,
    prev: Sequence[str] = (),
    depth: int = 0,
    ts: int | None = None,
) -> Event:
    """Sign a new event by `key`; the result passes `parse_event` unchanged."""
    check_signed_value(content)
    envelope: dict[str, Any] = {
        "v": VERSION,
        "type": type,
        "author": key.did,
        "prev": sorted(prev),
        "depth": depth,
        "ts": now_ms() if ts is None else ts,
        "content_hash": digest(content),
    }
    if space is not None:
        envelope["space"] = space
    signed = canonical(envelope)
    wire = {**envelope, "content": dict(content), "sig": b64u(key.sign(signed))}
    return _finish(wire, envelope, signed)


def _finish(wire: dict[str, Any], envelope: dict[str, Any], signed: bytes) -> Event:
    event_id = b64u(hashlib.sha256(signed).digest())
    return Event(
        id=event_id,
        space=envelope.get("space", event_id),
        type=envelope["type"],
        author=envelope["author"],
        prev=tuple(envelope["prev"]),
        depth=envelope["depth"],
        ts=envelope["ts"],
        content=wire["content"],
        sig=wire["sig"],
        body=canonical(wire),
    )


def parse_event(wire: Any, *, now: int | None = None) -> Event:
    """Check everything an event can be checked for on its own, and return it verified.

    Refusals name the first fault: structure, encoding, size, type, content hash, id,
    signature, content schema, and (when `now` is given) a timestamp from the future.
    Links, depth against parents and authorization need the log and are checked there.
    """
    unverified = read_event(wire)
    return unverified.verified(keys.verifies(unverified.claim), now=now)


@dataclass(frozen=True, slots=True)
class Unverified:
    """An event checked up to its signature (structure, encoding, size, type, content
    hash, id): `verified` finishes the checks once the signature's verdict is known, so
    that many signatures can be verified together (`verifier.SignatureBatch`)."""

    wire: dict[str, Any]
    id: str
    body: bytes
    signed: bytes  # the canonical envelope: what the signature covers
    erased: bool

    @property
    def claim(self) -> keys.Claim:
        """What verifying the signature takes: the author's key, the signed bytes and the
        signature (empty when `sig` is not a signature's exact base64url text)."""
        sig = self.wire["sig"]
        try:
            raw = unb64u(sig)
        except ValueError:
            raw = b""
        if len(raw) != 64 or b64u(raw) != sig:
            raw = b""
        return keys.public_from_did(self.wire["author"]), self.signed, raw

    def verified(self, signature_verifies: bool, *, now: int | None = None) -> Event:
        """The event, once its signature is known to verify; refused as `bad_signature`
        otherwise, or for a fault checked after the signature."""
        if not signature_verifies:
            raise EventError("bad_signature", "signature does not verify against the author's key")
        wire, erased = self.wire, self.erased
        sealed = not erased and _is_sealed(wire)
        if not erased and not sealed:
            parse_content(wire["type"], wire["content"])
            if wire["type"] == "space.create":
                charter_from_content(wire["content"]["charter"])
        _check_links_shape(wire, self.id)
        if now is not None and wire["ts"] > now + MAX_FUTURE_MS:
            raise EventError("timestamp_in_future", "ts is more than 5 minutes ahead of this node")
        return Event(
            id=self.id,
            space=wire.get("space", self.id),
            type=wire["type"],
            author=wire["author"],
            prev=tuple(wire["prev"]),
            depth=wire["depth"],
            ts=wire["ts"],
            content=wire.get("content", {}),
            sig=wire["sig"],
            body=self.body,
            erased=erased,
            sealed=sealed,
        )


def read_event(wire: Any) -> Unverified:
    """The checks of `parse_event` that come before the signature."""
    _check_structure(wire)
    check_signed_value(wire)
    event_type(wire["type"])
    claimed = wire.get("id")
    if claimed is not None:
        wire = {name: value for name, value in wire.items() if name != "id"}
    body = canonical(wire)
    if len(body) > MAX_EVENT_BYTES:
        raise EventError(
            "event_too_large", f"event is {len(body)} bytes; the limit is {MAX_EVENT_BYTES}", 413
        )
    erased = "content" not in wire
    if erased and wire["type"] not in installed().erasable:
        raise EventError("malformed_event", "missing field 'content'")
    if not erased and digest(wire["content"]) != wire["content_hash"]:
        raise EventError("content_hash_mismatch", "content does not match content_hash")
    envelope = dict(wire)
    envelope.pop("content", None)
    del envelope["sig"]
    signed = canonical(envelope)
    event_id = b64u(hashlib.sha256(signed).digest())
    if claimed is not None and claimed != event_id:
        raise EventError("id_mismatch", f"id {claimed!r} does not match the content ({event_id})")
    return Unverified(wire, event_id, body, signed, erased)


SEALED_KID = re.compile(r"[A-Za-z0-9_-]{22}")
SEALED_TEXT = re.compile(r"[A-Za-z0-9_-]+")


def _is_sealed(wire: Mapping[str, Any]) -> bool:
    """Whether the content has the sealed shape; refused if it has it only in part. Only a
    private space's founding event carries a wrapped key, the founder's own."""
    content = wire["content"]
    if "ciphertext" not in content:
        return False
    founding = wire["type"] == "space.create"
    fields = {"space_key", "ciphertext"} | ({"wraps"} if founding else set())
    if not {"space_key", "ciphertext"} <= set(content) <= fields:
        raise EventError("invalid_sealed_content", "sealed content is {space_key, ciphertext}")
    kid, ciphertext = content["space_key"], content["ciphertext"]
    if not isinstance(kid, str) or not SEALED_KID.fullmatch(kid):
        raise EventError("invalid_sealed_content", "space_key: not a space key id")
    if not isinstance(ciphertext, str) or not SEALED_TEXT.fullmatch(ciphertext):
        raise EventError("invalid_sealed_content", "ciphertext: not base64url text")
    if founding:
        wraps = content.get("wraps")
        if not isinstance(wraps, dict) or set(wraps) != {wire["author"]}:
            raise EventError("invalid_sealed_content", "wraps: the founder's key alone")
        if not all(isinstance(w, str) and SEALED_TEXT.fullmatch(w) for w in wraps.values()):
            raise EventError("invalid_sealed_content", "wraps: not base64url text")
    elif wire["type"] == "space.key":
        raise EventError("invalid_sealed_content", "space.key travels unsealed")
    return True


def erased_body(body: bytes) -> bytes:
    """The stored body of an event with its content erased: envelope and signature only."""
    wire = orjson.loads(body)
    wire.pop("content", None)
    return canonical(wire)


def parse_body(body: bytes) -> Event:
    """Re-verify a stored body, which must also be exactly its own canonical encoding."""
    try:
        wire = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise EventError("malformed_json", f"stored body is not JSON: {exc}") from None
    event = parse_event(wire)
    if event.body != body:
        raise EventError("not_canonical", "stored body is not in canonical form")
    return event


def _check_structure(wire: Any) -> None:
    if not isinstance(wire, dict):
        raise EventError("malformed_event", "an event is a JSON object")
    unknown = set(wire) - WIRE_FIELDS
    if unknown:
        raise EventError("malformed_event", f"unknown field(s): {', '.join(sorted(unknown))}")
    for name in REQUIRED_FIELDS:
        if name not in wire:
            code = "missing_signature" if name == "sig" else "malformed_event"
            raise EventError(code, f"missing field {name!r}")
    if wire["v"] != VERSION or isinstance(wire["v"], bool):
        raise EventError("unsupported_version", f"event version {wire['v']!r} is not {VERSION}")
    for name, value in wire.items():
        if type(value) is not FIELD_TYPES[name]:
            if isinstance(value, float):
                raise EventError("float_in_signed_content", f"{name} is a float")
            raise EventError("malformed_event", f"field {name!r} has the wrong type")
    if wire["depth"] < 0 or wire["ts"] < 0:
        raise EventError("malformed_event", "depth and ts are non-negative")
    try:
        keys.public_from_did(wire["author"])
    except ValueError as exc:
        raise EventError("bad_author", f"author: {exc}") from None


def _check_links_shape(envelope: Mapping[str, Any], event_id: str) -> None:
    prev = envelope["prev"]
    if any(not isinstance(p, str) or not EVENT_ID.fullmatch(p) for p in prev):
        raise EventError("malformed_event", "prev holds event ids")
    if len(prev) > MAX_PREV or len(set(prev)) != len(prev):
        raise EventError("malformed_event", f"prev names at most {MAX_PREV} distinct events")
    if envelope["type"] == "space.create":
        if "space" in envelope or prev or envelope["depth"] != 0:
            raise EventError("malformed_event", "space.create has no space, no prev, depth 0")
    elif "space" not in envelope or not prev:
        raise EventError("malformed_event", "every event but space.create names space and prev")
    elif not EVENT_ID.fullmatch(envelope["space"]):
        raise EventError("malformed_event", "space is an event id (43 base64url characters)")
