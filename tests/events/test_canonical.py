"""RFC 8785 canonical bytes and the rules signed values follow (canonical.py)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import rfc8785

from p2pvalue.errors import EventError
from p2pvalue.events.canonical import (
    MAX_NESTING,
    MAX_SAFE_INTEGER,
    b64u,
    canonical,
    check_signed_value,
    digest,
    unb64u,
)


def nested(levels: int) -> Any:
    """`levels` arrays around 0, so the 0 sits at nesting depth `levels`."""
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


def refusal(value: Any) -> str:
    with pytest.raises(EventError) as caught:
        check_signed_value(value)
    return caught.value.code


def test_keys_sort_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert canonical(value) == expected.encode("utf-8")


def test_astral_key_sorts_before_private_use_key_unlike_code_point_order() -> None:
    assert canonical({"\ue000": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\ue000":1}'.encode()


def test_strings_and_literals_serialize_as_rfc8785_example() -> None:
    # RFC 8785 section 3.2.2, without the floats that signed content refuses.
    value = {"string": '\u20ac$\u000f\nA\'B"\\\\"/', "literals": [None, True, False]}
    expected = '{"literals":[null,true,false],"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    assert canonical(value) == expected.encode("utf-8")


def test_nested_objects_are_sorted_and_whitespace_free() -> None:
    value = {"b": [3, {"y": 1, "x": 2}], "a": {"d": None, "c": "z"}}
    assert canonical(value) == b'{"a":{"c":"z","d":null},"b":[3,{"x":2,"y":1}]}'


def test_integers_at_the_safe_limit_serialize_exactly() -> None:
    assert canonical([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 0]) == (
        b"[9007199254740991,-9007199254740991,0]"
    )


def test_digest_is_b64u_sha256_of_canonical_bytes() -> None:
    expected = b64u(hashlib.sha256(b'{"a":1,"b":2}').digest())
    assert digest({"b": 2, "a": 1}) == expected
    assert len(expected) == 43
    assert digest({"a": 1, "b": 3}) != expected


def test_b64u_is_unpadded_url_safe_and_round_trips() -> None:
    data = bytes([0xFB, 0xFF, 0xFE])
    assert b64u(data) == "-__-"
    assert b64u(b"\x00") == "AA"
    assert unb64u("AA") == b"\x00"
    assert unb64u(b64u(bytes(range(256)))) == bytes(range(256))


def test_unb64u_refuses_padding() -> None:
    with pytest.raises(ValueError):
        unb64u("AA==")


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        "text",
        MAX_SAFE_INTEGER,
        -MAX_SAFE_INTEGER,
        [],
        {},
        {"a": [1, {"b": None}], "c": False},
        nested(MAX_NESTING),
    ],
)
def test_signable_values_pass(value: Any) -> None:
    check_signed_value(value)
    assert canonical(value) == canonical(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (1.5, "float_in_signed_content"),
        (1.0, "float_in_signed_content"),
        ({"a": [0, {"b": 0.1}]}, "float_in_signed_content"),
        (MAX_SAFE_INTEGER + 1, "integer_out_of_range"),
        (-MAX_SAFE_INTEGER - 1, "integer_out_of_range"),
        ({"n": [2**64]}, "integer_out_of_range"),
        (nested(MAX_NESTING + 1), "too_deeply_nested"),
        ({1: "a"}, "malformed_event"),
        ((1, 2), "malformed_event"),
        (b"bytes", "malformed_event"),
        ({"s": {1, 2}}, "malformed_event"),
    ],
)
def test_unsignable_values_are_refused_with_their_code(value: Any, code: str) -> None:
    assert refusal(value) == code


@pytest.mark.parametrize("value", [{"s": "a\x00b"}, {"\x00": 1}, {"s": ["\ud800"]}])
def test_text_no_node_can_keep_is_refused_by_the_encoder(value: Any) -> None:
    with pytest.raises(EventError) as caught:
        canonical(value)
    assert caught.value.code == "invalid_text"


def test_refusal_names_the_path_of_the_fault() -> None:
    with pytest.raises(EventError) as caught:
        check_signed_value({"a": [0, {"b": 0.5}]})
    assert caught.value.message == "$.a[1].b is a float; use integers"


@pytest.mark.parametrize("code_point", [*range(1, 0x20), 0x7F, 0x2028, 0xE000, 0xFFFF, 0x10FFFF])
def test_every_control_and_edge_character_encodes_as_rfc8785(code_point: int) -> None:
    value = {chr(code_point): chr(code_point), "\U0001f600": [chr(code_point)]}
    assert canonical(value) == bytes(rfc8785.dumps(value))
