"""The y-websocket frames and Yjs encodings a node reads, against frames and documents made by
pycrdt (Yrs, the Rust port of Yjs)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pycrdt import (
    Awareness,
    Doc,
    Text,
    create_awareness_message,
    create_sync_message,
    create_update_message,
)

from p2pvalue.collab import yframes
from p2pvalue.collab.yframes import FrameError, parse_frame


def text_doc(client: int, text: str = "") -> tuple[Doc[Any], Text]:
    doc: Doc[Any] = Doc(client_id=client)
    content = doc.get("content", type=Text)
    if text:
        content += text
    return doc, content


def test_frames_made_by_pycrdt_parse_to_their_kind_and_payload() -> None:
    doc, _content = text_doc(1, "hello")
    step1 = parse_frame(create_sync_message(doc))
    assert (step1.kind, step1.sync) == (yframes.SYNC, yframes.STEP1)
    assert yframes.state_vector(step1.payload) == {1: 5}
    update = parse_frame(create_update_message(doc.get_update()))
    assert (update.kind, update.sync, update.payload) == (
        yframes.SYNC, yframes.UPDATE, doc.get_update())  # fmt: skip
    awareness = Awareness(doc)
    awareness.set_local_state({"user": {"name": "ada"}})
    message = create_awareness_message(awareness.encode_awareness_update([1]))
    parsed = parse_frame(message)
    assert parsed.kind == yframes.AWARENESS
    assert yframes.awareness(parsed.payload)[0][0] == 1
    assert yframes.awareness(parsed.payload)[0][2] == {"user": {"name": "ada"}}


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        (b"", "truncated number"),
        (b"\x07\x00", "unknown message kind 7"),
        (b"\x00\x05\x00", "unknown sync message 5"),
        (b"\x00\x02\x05ab", "truncated payload"),
        (b"\x00\x02\x02\x00\x00\xff", "bytes after the message"),
        (b"\x00" + b"\xff" * 9, "number too long"),
        (b"\x00\x00\x02\x01\x05", "truncated number"),  # a state vector cut short
        (b"\x01\x05\x01\x01\x01\x01{", "an awareness state is not JSON"),
    ],
)
def test_malformed_frames_are_refused_with_the_fault(frame: bytes, problem: str) -> None:
    with pytest.raises(FrameError, match=problem):
        parse_frame(frame)


@given(st.binary(max_size=64))
def test_any_bytes_parse_or_raise_frame_error_only(data: bytes) -> None:
    try:
        frame = parse_frame(data)
    except FrameError:
        return
    assert frame.kind in (yframes.SYNC, yframes.AWARENESS, yframes.AUTH, yframes.QUERY_AWARENESS)


def test_live_units_count_what_each_client_wrote_and_is_still_there() -> None:
    alice, _text = text_doc(7, "hello world")
    bob, bob_text = text_doc(9)
    bob.apply_update(alice.get_update())
    bob_text.insert(5, " there")
    del bob_text[0:2]
    states = yframes.state_vector(bob.get_state())
    deleted = yframes.delete_set(bob.get_update(bob.get_state()))
    assert str(bob_text) == "llo there world"
    assert yframes.live_units(states, deleted) == {7: 9, 9: 6}


def test_the_state_hash_names_content_whatever_the_order_it_arrived_in() -> None:
    alice, text = text_doc(1, "abc")
    bob, bob_text = text_doc(2)
    bob.apply_update(alice.get_update())
    bob_text += "def"
    del text[0:1]
    one, _ = text_doc(3)
    other, _ = text_doc(4)
    one.apply_update(alice.get_update())
    one.apply_update(bob.get_update())
    other.apply_update(bob.get_update())
    other.apply_update(alice.get_update())

    def hashed(doc: Doc[Any]) -> str:
        states = yframes.state_vector(doc.get_state())
        return yframes.state_hash(states, yframes.delete_set(doc.get_update(doc.get_state())))

    assert hashed(one) == hashed(other)
    assert hashed(one) != hashed(alice)
    assert str(one.get("content", type=Text)) == "bcdef"


def test_touching_delete_ranges_hash_as_one() -> None:
    states = {1: 10}
    assert yframes.state_hash(states, {1: [(0, 2), (2, 3)]}) == yframes.state_hash(
        states, {1: [(0, 5)]})  # fmt: skip
    assert yframes.state_hash(states, {1: [(0, 2)]}) != yframes.state_hash(states, {1: [(0, 3)]})


def test_a_delete_set_is_read_only_from_an_update_without_structs() -> None:
    doc, _ = text_doc(1, "x")
    with pytest.raises(FrameError, match="holds structs"):
        yframes.delete_set(doc.get_update())
