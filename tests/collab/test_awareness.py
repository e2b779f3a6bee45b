"""Awareness states as the node relays them: the member's own name, strict colours, no
extra user fields, bounded size; anything else refused with its reason."""

from __future__ import annotations

import pytest

from p2pvalue.collab import yframes
from p2pvalue.collab.awareness import AwarenessRefused, relayed


def test_the_name_is_the_members_and_user_keeps_only_name_and_colours() -> None:
    user = {"name": "admin", "color": "#30BCED", "colorLight": "#30bced33",
            "avatar": "https://evil.example/pixel.png"}  # fmt: skip
    sent = {"user": user, "cursor": {"anchor": 1}}
    assert relayed(sent, "bob") == {
        "user": {"name": "bob", "color": "#30BCED", "colorLight": "#30bced33"},
        "cursor": {"anchor": 1},
    }
    assert relayed({}, "bob") == {"user": {"name": "bob"}}
    assert relayed(None, "bob") is None


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"user": {"color": "red"}}, "invalid_colour"),
        ({"user": {"color": "#30bced;x:url(a)"}}, "invalid_colour"),
        ({"user": {"color": "#30bced33"}}, "invalid_colour"),
        ({"user": {"colorLight": 3}}, "invalid_colour"),
        ({"user": "bob"}, "invalid_awareness"),
        ("bob", "invalid_awareness"),
        ({f"f{i}": i for i in range(17)}, "invalid_awareness"),
        ({"cursor": "x" * 5000}, "awareness_too_large"),
    ],
)
def test_states_out_of_bounds_are_refused(state: object, reason: str) -> None:
    with pytest.raises(AwarenessRefused) as refused:
        relayed(state, "bob")
    assert refused.value.reason == reason


def test_an_encoded_awareness_update_reads_back() -> None:
    entries: list[tuple[int, int, object]] = [(1, 3, {"user": {"name": "é"}}), (300_000, 1, None)]
    assert yframes.awareness(yframes.encode_awareness(entries)) == entries
