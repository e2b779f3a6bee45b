"""Awareness states as a node relays them: who is in a document and where their cursor is.

A y-websocket client says who it is in its awareness state, and every other client shows
what it says: a name, a colour used in CSS, a cursor. The node does not relay that claim
as it came. `relayed` gives the state the others see: the `user.name` is the authenticated
member's handle whatever the client sent, a colour is a strict `#rrggbb` (`colorLight`
may add an alpha byte), `user` keeps no other field, and the whole state is bounded in
fields and bytes. A state that breaks a rule is refused with a precise reason
(`AwarenessRefused`), never repaired. Pure functions, values in and out.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
LIGHT_COLOUR = re.compile(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?")
COLOURS = {"color": COLOUR, "colorLight": LIGHT_COLOUR}
MAX_FIELDS = 16
MAX_STATE_BYTES = 4096


class AwarenessRefused(ValueError):
    """A state the node does not relay: `reason` is the refusal's code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def relayed(state: object, name: str) -> dict[str, Any] | None:
    """The state other clients see of a member called `name` who sent `state` (None: the
    client is gone); AwarenessRefused if it is not an object within the rules."""
    if state is None:
        return None
    if not isinstance(state, dict) or len(state) > MAX_FIELDS:
        raise AwarenessRefused("invalid_awareness")
    user = state.get("user", {})
    if not isinstance(user, dict):
        raise AwarenessRefused("invalid_awareness")
    shown: dict[str, Any] = {"name": name}
    for field, pattern in COLOURS.items():
        colour = user.get(field)
        if colour is None:
            continue
        if not isinstance(colour, str) or not pattern.fullmatch(colour):
            raise AwarenessRefused("invalid_colour")
        shown[field] = colour
    found = {**state, "user": shown}
    if len(orjson.dumps(found)) > MAX_STATE_BYTES:
        raise AwarenessRefused("awareness_too_large")
    return found
