"""Building, parsing and re-verifying signed events (event.py)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from events.helpers import ALICE, BOB, T0, SpaceBuilder
from p2pvalue.errors import EventError
from p2pvalue.events.canonical import canonical, digest
from p2pvalue.events.event import (
    ENVELOPE_FIELDS,
    MAX_EVENT_BYTES,
    Event,
    build_event,
    parse_body,
    parse_event,
)

SPACE = SpaceBuilder()
POST = SPACE.post(ALICE, [SPACE.create], text="first post")
BODY = POST.body
SIG_START = BODY.index(POST.sig.encode())
SIG_END = SIG_START + len(POST.sig)
_B64U = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _twin_digit(digit: str) -> int:
    """A base64 digit that differs from `digit` only in its lowest bit."""
    return _B64U[_B64U.index(digit) ^ 1].encode()[0]


# 64 bytes take 86 base64 digits; the last digit's 4 low bits carry no data.
SIG_TWIN_LAST = _twin_digit(POST.sig[-1])


def refusal(wire: Any, now: int | None = None) -> EventError:
    with pytest.raises(EventError) as caught:
        parse_event(wire, now=now)
    return caught.value


def post_wire(content: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    """The wire form of a correctly signed post by Alice with `content` and envelope overrides."""
    fields: dict[str, Any] = {
        "space": SPACE.space, "prev": [SPACE.create.id], "depth": 1, "ts": T0, **envelope
    }  # fmt: skip
    return build_event(ALICE, "post.create", content, **fields).wire


@pytest.fixture
def wire() -> dict[str, Any]:
    return POST.wire


def test_parse_returns_the_built_event() -> None:
    parsed = parse_event(POST.wire)
    assert parsed == POST
    assert parsed.id == POST.id
    assert parsed.body == POST.body
    assert parsed.space == SPACE.space
    assert parsed.content == {"text": "first post"}


def test_space_create_is_its_own_space() -> None:
    create = parse_event(SPACE.create.wire)
    assert create.space == create.id == SPACE.space
    assert "space" not in create.wire


def test_body_is_canonical_wire_and_id_is_hash_of_envelope() -> None:
    assert canonical(POST.wire) == BODY
    envelope = {name: POST.wire[name] for name in ENVELOPE_FIELDS if name in POST.wire}
    assert POST.id == digest(envelope)
    assert POST.wire["content_hash"] == digest({"text": "first post"})


def test_matching_id_field_is_accepted_and_not_kept(wire: dict[str, Any]) -> None:
    parsed = parse_event({**wire, "id": POST.id})
    assert parsed.id == POST.id
    assert parsed.body == BODY


def test_prev_is_sorted_when_built() -> None:
    a, b = SPACE.create.id, POST.id
    built = build_event(
        ALICE, "post.create", {"text": "x"}, space=SPACE.space, prev=[b, a], depth=2, ts=T0
    )
    assert list(built.prev) == sorted([a, b])


def test_parse_body_round_trips() -> None:
    assert parse_body(BODY) == POST


def test_parse_body_refuses_non_canonical_bytes() -> None:
    with pytest.raises(EventError) as caught:
        parse_body(json.dumps(POST.wire, indent=1).encode())
    assert caught.value.code == "not_canonical"


def test_parse_body_refuses_the_body_with_its_id() -> None:
    with pytest.raises(EventError) as caught:
        parse_body(canonical({**POST.wire, "id": POST.id}))
    assert caught.value.code == "not_canonical"


def test_parse_body_refuses_non_json() -> None:
    with pytest.raises(EventError) as caught:
        parse_body(b"{not json")
    assert caught.value.code == "malformed_json"


def test_timestamp_from_the_future_is_refused() -> None:
    now = T0
    error = refusal(post_wire({"text": "hi"}, ts=now + 10 * 60 * 1000), now=now)
    assert error.code == "timestamp_in_future"


def test_timestamp_at_the_five_minute_limit_is_accepted() -> None:
    late = post_wire({"text": "hi"}, ts=T0 + 5 * 60 * 1000)
    assert parse_event(late, now=T0).ts == T0 + 5 * 60 * 1000


def test_future_timestamp_is_accepted_when_no_clock_is_given() -> None:
    far = T0 + 24 * 3600 * 1000
    assert parse_event(post_wire({"text": "hi"}, ts=far)).ts == far


def test_event_too_large_is_refused_with_413() -> None:
    error = refusal(post_wire({"text": "x" * (MAX_EVENT_BYTES + 1)}))
    assert (error.code, error.status) == ("event_too_large", 413)


def test_space_create_with_prev_is_malformed() -> None:
    content = dict(SPACE.create.content)
    bad = build_event(ALICE, "space.create", content, space=None, prev=[POST.id], ts=T0)
    assert refusal(bad.wire).code == "malformed_event"


def test_event_without_prev_is_malformed() -> None:
    assert refusal(post_wire({"text": "hi"}, prev=[])).code == "malformed_event"


def test_event_without_space_is_malformed() -> None:
    assert refusal(post_wire({"text": "hi"}, space=None)).code == "malformed_event"


@pytest.mark.parametrize(
    "prev",
    [["short"], [POST.id, POST.id], [f"{n:043d}" for n in range(21)]],
    ids=["not-an-id", "duplicate", "too-many"],
)
def test_bad_prev_lists_are_malformed(prev: list[str]) -> None:
    assert refusal(post_wire({"text": "hi"}, prev=prev)).code == "malformed_event"


@pytest.mark.parametrize(
    ("roles", "founder_roles"),
    [
        ({"admin": ["*"]}, ["boss"]),
        ({"admin": ["*", "post.delete"]}, ["admin"]),
        ({"Admin": ["*"]}, ["Admin"]),
    ],
    ids=["undefined-founder-role", "unknown-event-type", "bad-role-name"],
)
def test_space_create_with_an_inconsistent_charter_is_refused(
    roles: dict[str, list[str]], founder_roles: list[str]
) -> None:
    charter = {"membership": "open", "roles": roles, "founder_roles": founder_roles,
               "member_roles": []}  # fmt: skip
    create = build_event(ALICE, "space.create", {"name": "S", "charter": charter}, space=None)
    assert refusal(create.wire).code == "invalid_charter"


def _flip(index: int, byte: int) -> bytes:
    return BODY[:index] + bytes([byte]) + BODY[index + 1 :]


@given(st.integers(0, len(BODY) - 1), st.integers(0, 255))
def test_flipping_a_byte_outside_the_signature_is_refused(index: int, byte: int) -> None:
    assume(not SIG_START <= index < SIG_END and byte != BODY[index])
    with pytest.raises(EventError):
        parse_body(_flip(index, byte))


@example(SIG_END - 1, SIG_TWIN_LAST)
@given(st.integers(0, len(BODY) - 1), st.integers(0, 255))
def test_flipping_any_byte_is_refused(index: int, byte: int) -> None:
    assume(byte != BODY[index])
    with pytest.raises(EventError):
        parse_body(_flip(index, byte))


@pytest.mark.parametrize("twin", ["last-digit", "plus-slash"])
def test_signature_text_other_than_canonical_b64u_is_refused(twin: str) -> None:
    event = _event_with_dash_in_sig()
    sig = event.sig
    if twin == "last-digit":
        other = sig[:-1] + chr(_twin_digit(sig[-1]))
    else:
        other = sig.replace("-", "+").replace("_", "/")
    assert other != sig
    with pytest.raises(EventError) as caught:
        parse_event({**event.wire, "sig": other})
    assert caught.value.code == "bad_signature"


def _event_with_dash_in_sig() -> Event:
    for n in range(100):
        event = build_event(
            BOB, "post.create", {"text": f"n{n}"}, space=SPACE.space,
            prev=[SPACE.create.id], depth=1, ts=T0,
        )  # fmt: skip
        if "-" in event.sig or "_" in event.sig:
            return event
    raise AssertionError("no signature with - or _ in 100 tries")


def test_wire_is_the_parsed_body(wire: dict[str, Any]) -> None:
    assert orjson.loads(BODY) == wire
    assert set(wire) == {*ENVELOPE_FIELDS, "content", "sig"}
