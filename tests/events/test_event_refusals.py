"""Every refusal of `parse_event`, each with its exact code (event.py)."""

from __future__ import annotations

from typing import Any

import pytest

from events.helpers import ALICE, BOB, T0, SpaceBuilder
from p2pvalue.errors import EventError
from p2pvalue.events.canonical import b64u, canonical
from p2pvalue.events.event import ENVELOPE_FIELDS, REQUIRED_FIELDS, build_event, parse_event

SPACE = SpaceBuilder()
POST = SPACE.post(ALICE, [SPACE.create], text="first post")
OTHER = SPACE.post(BOB, [SPACE.create], text="another post")


def code_of(wire: Any) -> str:
    with pytest.raises(EventError) as caught:
        parse_event(wire)
    return caught.value.code


def changed(**fields: Any) -> dict[str, Any]:
    """Alice's post with `fields` replaced after signing."""
    return {**POST.wire, **fields}


def signed_post(content: dict[str, Any]) -> dict[str, Any]:
    """A post correctly signed by Alice, whatever its content."""
    event = build_event(
        ALICE, "post.create", content, space=SPACE.space, prev=[SPACE.create.id], depth=1, ts=T0
    )
    return event.wire


@pytest.mark.parametrize("wire", [None, [], "event", 7, [POST.wire]])
def test_non_object_is_malformed(wire: Any) -> None:
    assert code_of(wire) == "malformed_event"


def test_unknown_field_is_malformed() -> None:
    assert code_of(changed(extra=1)) == "malformed_event"


@pytest.mark.parametrize("name", [n for n in REQUIRED_FIELDS if n != "sig"])
def test_missing_field_is_malformed(name: str) -> None:
    wire = {k: v for k, v in POST.wire.items() if k != name}
    assert code_of(wire) == "malformed_event"


def test_missing_signature_has_its_own_code() -> None:
    wire = {k: v for k, v in POST.wire.items() if k != "sig"}
    assert code_of(wire) == "missing_signature"


@pytest.mark.parametrize("version", [0, 2, True, "1", None])
def test_other_versions_are_unsupported(version: Any) -> None:
    assert code_of(changed(v=version)) == "unsupported_version"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", 1),
        ("author", None),
        ("prev", POST.prev[0]),
        ("prev", {"a": 1}),
        ("depth", "1"),
        ("depth", True),
        ("depth", -1),
        ("ts", None),
        ("ts", False),
        ("ts", -1),
        ("content_hash", 5),
        ("content", []),
        ("content", "text"),
        ("sig", 5),
        ("space", 5),
        ("space", None),
        ("id", 5),
    ],
)
def test_wrong_field_types_are_malformed(field: str, value: Any) -> None:
    assert code_of(changed(**{field: value})) == "malformed_event"


@pytest.mark.parametrize("wire", [changed(depth=1.5), changed(ts=1.0), changed(v=1.0)])
def test_float_in_envelope_is_refused(wire: dict[str, Any]) -> None:
    assert code_of(wire) == "float_in_signed_content"


def test_float_inside_content_is_refused() -> None:
    wire = changed(content={"text": "first post", "score": 0.5})
    assert code_of(wire) == "float_in_signed_content"


def test_huge_integer_in_content_is_refused() -> None:
    wire = changed(content={"text": "first post", "n": 2**53})
    assert code_of(wire) == "integer_out_of_range"


def test_deeply_nested_content_is_refused() -> None:
    deep: Any = "bottom"
    for _ in range(40):
        deep = {"d": deep}
    assert code_of(changed(content=deep)) == "too_deeply_nested"


@pytest.mark.parametrize("type_name", ["post.delete", "", "POST.CREATE"])
def test_unknown_type_is_refused(type_name: str) -> None:
    assert code_of(changed(type=type_name)) == "unknown_event_type"


@pytest.mark.parametrize(
    "content",
    [{"text": ""}, {"text": "hi", "extra": 1}, {}, {"text": 5}, {"text": "x" * 20001}],
    ids=["empty-text", "extra-field", "no-text", "text-not-string", "text-too-long"],
)
def test_content_against_its_schema_is_invalid(content: dict[str, Any]) -> None:
    assert code_of(signed_post(content)) == "invalid_content"


def test_invalid_content_message_names_the_field() -> None:
    with pytest.raises(EventError) as caught:
        parse_event(signed_post({"text": "hi", "extra": 1}))
    assert caught.value.message.startswith("extra:")
    assert caught.value.status == 422


def test_content_changed_after_signing_mismatches_its_hash() -> None:
    assert code_of(changed(content={"text": "edited post"})) == "content_hash_mismatch"


def test_wrong_id_field_is_refused() -> None:
    assert code_of(changed(id=OTHER.id)) == "id_mismatch"


def test_signature_by_another_key_is_refused() -> None:
    envelope = {name: POST.wire[name] for name in ENVELOPE_FIELDS if name in POST.wire}
    assert code_of(changed(sig=b64u(BOB.sign(canonical(envelope))))) == "bad_signature"


def test_signature_of_another_event_is_refused() -> None:
    assert code_of(changed(sig=OTHER.sig)) == "bad_signature"


def test_author_swapped_after_signing_is_refused() -> None:
    assert code_of(changed(author=BOB.did)) == "bad_signature"


@pytest.mark.parametrize(
    "sig",
    ["not base64!", POST.sig + "==", "", POST.sig[:-4], b64u(bytes(65))],
    ids=["not-base64", "padded", "empty", "truncated", "65-bytes"],
)
def test_signature_that_is_not_64_b64u_bytes_is_refused(sig: str) -> None:
    assert code_of(changed(sig=sig)) == "bad_signature"


@pytest.mark.parametrize(
    "author", ["alice", "did:key:zNOPE0", "did:web:example.org", "did:key:z" + "1" * 46]
)
def test_author_that_is_not_an_ed25519_did_is_refused(author: str) -> None:
    assert code_of(changed(author=author)) == "bad_author"


def test_structure_is_checked_before_the_signature() -> None:
    # The first fault is the one named: an unknown type wins over a forged signature.
    assert code_of(changed(type="post.delete", sig=OTHER.sig)) == "unknown_event_type"


@pytest.mark.parametrize("suffix", [" ", "\n"])
def test_author_alias_with_trailing_whitespace_is_refused(suffix: str) -> None:
    envelope = {name: POST.wire[name] for name in ENVELOPE_FIELDS if name in POST.wire}
    envelope["author"] = BOB.did + suffix
    wire = {**envelope, "content": POST.wire["content"], "sig": ""}
    wire["sig"] = b64u(BOB.sign(canonical(envelope)))
    assert code_of(wire) == "bad_author"
