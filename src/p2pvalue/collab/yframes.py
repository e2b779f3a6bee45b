"""The y-websocket protocol's frames and the parts of Yjs's update encoding a node reads.

Pure bytes-in, values-out functions, as `pycrdt._sync` is: `parse_frame` checks that a frame
from a client is one whole, well-formed message before a document sees it; `state_vector`
and `delete_set` decode what `authorship` needs to say how much of a document's live content
each Yjs client wrote.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

SYNC = 0
AWARENESS = 1
AUTH = 2
QUERY_AWARENESS = 3
STEP1 = 0
STEP2 = 1
UPDATE = 2
MAX_VARUINT_BYTES = 8  # Yjs clock values and client ids fit in 53 bits
EMPTY_UPDATE = b"\x00\x00"


class FrameError(ValueError):
    """A frame that is not a well-formed y-websocket message."""


@dataclass(frozen=True, slots=True)
class Frame:
    kind: int
    sync: int | None  # STEP1, STEP2 or UPDATE for a SYNC frame
    payload: bytes


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def varuint(self) -> int:
        value = shift = 0
        for _ in range(MAX_VARUINT_BYTES):
            if self.at >= len(self.data):
                raise FrameError("truncated number")
            byte = self.data[self.at]
            self.at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value
        raise FrameError("number too long")

    def chunk(self) -> bytes:
        length = self.varuint()
        if self.at + length > len(self.data):
            raise FrameError("truncated payload")
        self.at += length
        return self.data[self.at - length : self.at]

    def done(self) -> bool:
        return self.at == len(self.data)


def parse_frame(data: bytes) -> Frame:
    """The one message a client's frame holds; FrameError if it is malformed, of an unknown
    kind, or followed by stray bytes."""
    reader = _Reader(data)
    kind = reader.varuint()
    sync: int | None = None
    if kind == SYNC:
        sync = reader.varuint()
        if sync not in (STEP1, STEP2, UPDATE):
            raise FrameError(f"unknown sync message {sync}")
    elif kind not in (AWARENESS, AUTH, QUERY_AWARENESS):
        raise FrameError(f"unknown message kind {kind}")
    payload = b"" if kind == QUERY_AWARENESS else reader.chunk()
    if not reader.done():
        raise FrameError("bytes after the message")
    if sync == STEP1:
        state_vector(payload)
    elif kind == AWARENESS:
        awareness(payload)
    return Frame(kind, sync, payload)


def state_vector(encoded: bytes) -> dict[int, int]:
    """A Yjs state vector: each client id and the number of units it has written."""
    reader = _Reader(encoded)
    found = {}
    for _ in range(reader.varuint()):
        client = reader.varuint()
        found[client] = reader.varuint()
    if not reader.done():
        raise FrameError("bytes after the state vector")
    return found


def awareness(payload: bytes) -> list[tuple[int, int, object]]:
    """An awareness update: each client id, its clock, and its state (JSON; null once gone)."""
    reader = _Reader(payload)
    found = []
    for _ in range(reader.varuint()):
        client = reader.varuint()
        clock = reader.varuint()
        try:
            state = orjson.loads(reader.chunk())
        except orjson.JSONDecodeError:
            raise FrameError("an awareness state is not JSON") from None
        found.append((client, clock, state))
    if not reader.done():
        raise FrameError("bytes after the awareness update")
    return found


def encode_awareness(entries: list[tuple[int, int, object]]) -> bytes:
    """An awareness update (the payload of an AWARENESS frame) holding `entries`: each
    client id, its clock and its state, which `awareness` reads back."""
    out = bytearray(_varuint(len(entries)))
    for client, clock, state in entries:
        encoded = orjson.dumps(state)
        out += _varuint(client) + _varuint(clock) + _varuint(len(encoded)) + encoded
    return bytes(out)


def _varuint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def delete_set(update: bytes) -> dict[int, list[tuple[int, int]]]:
    """The delete set of an update that holds no structs, such as `doc.get_update(state)`
    for the document's own state: each client id and its deleted (clock, length) ranges."""
    reader = _Reader(update)
    if reader.varuint() != 0:
        raise FrameError("the update holds structs")
    found: dict[int, list[tuple[int, int]]] = {}
    for _ in range(reader.varuint()):
        client = reader.varuint()
        ranges = found.setdefault(client, [])
        for _ in range(reader.varuint()):
            clock = reader.varuint()
            ranges.append((clock, reader.varuint()))
    if not reader.done():
        raise FrameError("bytes after the delete set")
    return found


def live_units(
    states: Mapping[int, int], deleted: Mapping[int, list[tuple[int, int]]]
) -> dict[int, int]:
    """How many units each client wrote that are still in the document."""
    return {
        client: clock - sum(length for _, length in deleted.get(client, ()))
        for client, clock in states.items()
    }


def state_hash(states: Mapping[int, int], deleted: Mapping[int, list[tuple[int, int]]]) -> str:
    """A name for a document's state that every replica holding the same content derives:
    two Yjs documents with the same state vector and delete set hold the same content."""
    canonical = {
        "sv": sorted(states.items()),
        "ds": sorted((client, _merged(ranges)) for client, ranges in deleted.items() if ranges),
    }
    return hashlib.sha256(b"p2pvalue-doc-state\x00" + orjson.dumps(canonical)).hexdigest()


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Ranges sorted, with those that touch or overlap joined, as Yjs normalises them."""
    joined: list[tuple[int, int]] = []
    for clock, length in sorted(ranges):
        if joined and clock <= joined[-1][0] + joined[-1][1]:
            start, previous = joined[-1]
            joined[-1] = (start, max(previous, clock + length - start))
        else:
            joined.append((clock, length))
    return joined
