"""The fast canonical encoder writes exactly RFC 8785's bytes for every signable value."""

from __future__ import annotations

from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from p2pvalue.events.canonical import MAX_SAFE_INTEGER, canonical

# Signable text: no lone surrogate and no NUL (PostgreSQL cannot keep one; see `canonical`).
texts = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    texts,
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=600, deadline=None)
@given(values)
def test_matches_rfc8785(value: Any) -> None:
    assert canonical(value) == bytes(rfc8785.dumps(value))


def test_key_order_is_utf16_where_it_differs_from_utf8() -> None:
    value = {"\U0001f600": 1, "\ufb01": 2, "a": 3}
    assert canonical(value) == bytes(rfc8785.dumps(value))
    assert canonical(value).index("\U0001f600".encode()) < canonical(value).index("\ufb01".encode())


def test_control_characters_are_escaped_as_rfc8785_does() -> None:
    value = {"s": '\x01\x08\t\n\x0b\x0c\r\x1f\x7f"\\/\u2028'}
    assert canonical(value) == bytes(rfc8785.dumps(value))
