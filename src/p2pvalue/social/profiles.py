"""Profiles: a member's display name, bio, avatar, links and skills, each shown to the public,
to members who share a space with them, or to no one but them.

Profiles are node-local personal data, never on the shared log, so erasing one erases it.
The rules (`clean`, `visible`) are pure; `Profiles` reads and writes them for a node.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine

from p2pvalue.accounts import Account, Accounts
from p2pvalue.errors import Forbidden, NotFound, P2PError
from p2pvalue.events.event import now_ms
from p2pvalue.store import social as store
from p2pvalue.store.database import writing
from p2pvalue.store.social import StoredField

PUBLIC, MEMBERS, PRIVATE = "public", "members", "private"
VISIBILITIES = (PUBLIC, MEMBERS, PRIVATE)
DEFAULT_VISIBILITY = PRIVATE
DISPLAY_NAME = "display_name"
MAX_NAME = 80
MAX_BIO = 2000
MAX_URL = 500
MAX_LINKS = 10
MAX_SKILLS = 30
MAX_SKILL = 40
URL_SCHEMES = frozenset({"http", "https"})
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _invalid(code: str, message: str) -> P2PError:
    return P2PError(code, message, 422)


def _text(field: str, value: Any, limit: int, control: re.Pattern[str] = CONTROL) -> str:
    if not isinstance(value, str) or not value.strip() or control.search(value):
        raise _invalid("bad_profile_value", f"{field}: a non-empty line of text")
    if len(value) > limit:
        raise _invalid("profile_value_too_long", f"{field}: at most {limit} characters")
    return value.strip()


def _url(field: str, value: Any) -> str:
    url = _text(field, value, MAX_URL)
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _invalid("bad_url", f"{field}: not a URL") from None
    if parts.scheme.lower() not in URL_SCHEMES:
        raise _invalid("url_scheme_not_allowed", f"{field}: only http and https links")
    if not parts.hostname or " " in url:
        raise _invalid("bad_url", f"{field}: a URL with a host and no spaces")
    return url


def _list(field: str, value: Any, limit: int, item: Callable[[str, Any], str]) -> list[str]:
    if not isinstance(value, list):
        raise _invalid("bad_profile_value", f"{field}: a list")
    if len(value) > limit:
        raise _invalid("too_many_items", f"{field}: at most {limit} items")
    cleaned = [item(field, v) for v in value]
    if len(set(cleaned)) != len(cleaned):
        raise _invalid("bad_profile_value", f"{field}: each item once")
    return cleaned


FIELDS: dict[str, Callable[[str, Any], Any]] = {
    DISPLAY_NAME: lambda f, v: _text(f, v, MAX_NAME),
    "bio": lambda f, v: _text(f, v, MAX_BIO, CONTROL_BUT_LINES),
    "avatar_url": _url,
    "links": lambda f, v: _list(f, v, MAX_LINKS, _url),
    "skills": lambda f, v: _list(f, v, MAX_SKILLS, lambda g, s: _text(g, s, MAX_SKILL)),
}


def clean(given: Mapping[str, Any]) -> list[StoredField]:
    """The profile `given` as `{field: {"value": …, "visibility": …}}`, checked and trimmed;
    the refusal names the first fault."""
    cleaned = []
    for field, entry in given.items():
        check = FIELDS.get(field)
        if check is None:
            raise _invalid("unknown_profile_field", f"{field!r}: fields are {', '.join(FIELDS)}")
        if not isinstance(entry, Mapping) or "value" not in entry:
            raise _invalid("bad_profile_value", f"{field}: an object with a value")
        visibility = entry.get("visibility", DEFAULT_VISIBILITY)
        if visibility not in VISIBILITIES:
            raise _invalid("bad_visibility", f"{field}: visibility is one of {VISIBILITIES}")
        cleaned.append(StoredField(field, check(field, entry["value"]), visibility))
    return cleaned


def visible(fields: list[StoredField], *, owner: bool, shares_a_space: bool) -> list[StoredField]:
    """The fields a viewer may see: all for the owner, public and members-only ones for who
    shares a space with the owner, public ones for everyone else."""
    if owner:
        return fields
    allowed = {PUBLIC, MEMBERS} if shares_a_space else {PUBLIC}
    return [f for f in fields if f.visibility in allowed]


def as_json(did: str, username: str, fields: list[StoredField]) -> dict[str, Any]:
    shown = {f.field: {"value": f.value, "visibility": f.visibility} for f in fields}
    return {"did": did, "username": username, "fields": shown}


class Profiles:
    """The profiles of the members who live on this node."""

    def __init__(self, engine: Engine, accounts: Accounts) -> None:
        self._engine = engine
        self._accounts = accounts

    def get(self, did: str, viewer: Account | None) -> dict[str, Any]:
        """`did`'s profile as `viewer` (None: anyone) may see it."""
        owner = self._owner(did)
        with self._engine.begin() as conn:
            fields = store.profile(conn, did)
            mine = viewer is not None and viewer.did == did
            shares = not mine and viewer is not None and store.share_a_space(conn, viewer.did, did)
        return as_json(did, owner.username, visible(fields, owner=mine, shares_a_space=shares))

    def display_names(self, dids: Iterable[str], viewer: str | None) -> dict[str, str]:
        """The display names of `dids` that `viewer` (None: anyone) may see, by `visible`."""
        with self._engine.begin() as conn:
            named = store.profile_field(conn, DISPLAY_NAME, dids)
            guarded = [did for did, f in named.items() if f.visibility == MEMBERS and did != viewer]
            sharing = store.sharing(conn, viewer, guarded) if viewer and guarded else set()
        return {
            did: str(field.value)
            for did, field in named.items()
            if visible([field], owner=did == viewer, shares_a_space=did in sharing)
        }

    def replace(self, account: Account, did: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """Make `given` the whole of the member's own profile."""
        if did != account.did:
            raise Forbidden("not_your_profile", "you may change only your own profile")
        fields = clean(given)
        with writing(self._engine) as conn:
            store.replace_profile(conn, did, fields, now_ms())
        return as_json(did, account.username, fields)

    def erase(self, account: Account) -> int:
        """Delete every field of the member's profile; the number of fields erased."""
        with writing(self._engine) as conn:
            return store.erase_profile(conn, account.did)

    def _owner(self, did: str) -> Account:
        owner = self._accounts.by_did(did)
        if owner is None:
            raise NotFound("unknown_member", "no member with this did lives on this node")
        return owner
