"""Profile rules (pure) and the profile service on each backend: bounds, URL schemes,
per-field visibility for the owner, members who share a space, and everyone else; erasure."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.social.profiles import MAX_LINKS, MAX_NAME, clean, visible
from p2pvalue.store.schema import profile_fields

PASSWORD = "correct horse battery"


def _refusal(given: dict[str, Any]) -> str:
    with pytest.raises(P2PError) as refused:
        clean(given)
    return refused.value.code


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ({"nickname": {"value": "x"}}, "unknown_profile_field"),
        ({"bio": {"value": "x", "visibility": "friends"}}, "bad_visibility"),
        ({"bio": "just text"}, "bad_profile_value"),
        ({"display_name": {"value": 7}}, "bad_profile_value"),
        ({"display_name": {"value": "   "}}, "bad_profile_value"),
        ({"display_name": {"value": "a\x00b"}}, "bad_profile_value"),
        ({"display_name": {"value": "a" * (MAX_NAME + 1)}}, "profile_value_too_long"),
        ({"avatar_url": {"value": "javascript:alert(1)"}}, "url_scheme_not_allowed"),
        ({"avatar_url": {"value": "data:image/png;base64,AAAA"}}, "url_scheme_not_allowed"),
        ({"avatar_url": {"value": "https://"}}, "bad_url"),
        ({"links": {"value": "https://a.example"}}, "bad_profile_value"),
        ({"links": {"value": ["https://a.example"] * 2}}, "bad_profile_value"),
        ({"links": {"value": [f"https://{i}.example" for i in range(MAX_LINKS + 1)]}},
         "too_many_items"),
        ({"links": {"value": ["ftp://files.example"]}}, "url_scheme_not_allowed"),
        ({"skills": {"value": ["ok", ""]}}, "bad_profile_value"),
    ],
)  # fmt: skip
def test_bad_profiles_are_refused_with_the_fault(given: dict[str, Any], code: str) -> None:
    assert _refusal(given) == code


def test_a_profile_is_cleaned_and_private_by_default() -> None:
    fields = clean({
        "display_name": {"value": "  Ana  ", "visibility": "public"},
        "bio": {"value": "Makes things.\nFixes things."},
        "links": {"value": ["HTTPS://ana.example/x"], "visibility": "members"},
    })  # fmt: skip
    assert [(f.field, f.value, f.visibility) for f in fields] == [
        ("display_name", "Ana", "public"),
        ("bio", "Makes things.\nFixes things.", "private"),
        ("links", ["HTTPS://ana.example/x"], "members"),
    ]


def test_visibility_by_relation() -> None:
    fields = clean({
        "display_name": {"value": "Ana", "visibility": "public"},
        "skills": {"value": ["docs"], "visibility": "members"},
        "bio": {"value": "secret", "visibility": "private"},
    })  # fmt: skip

    def names(shown: list[Any]) -> list[str]:
        return [f.field for f in shown]

    assert names(visible(fields, owner=True, shares_a_space=False)) == [
        "display_name", "skills", "bio"]  # fmt: skip
    assert names(visible(fields, owner=False, shares_a_space=True)) == ["display_name", "skills"]
    assert names(visible(fields, owner=False, shares_a_space=False)) == ["display_name"]


def _people(node: Node) -> tuple[Account, Account, Account]:
    ana, ben, cy = (node.accounts.register(n, PASSWORD) for n in ("ana", "ben", "cyd"))
    space = node.create_space(ana, "Makers").id
    assert space is not None
    assert node.act(ben, space, "member.join", {}).status == "accepted"
    return ana, ben, cy


def test_the_service_shows_each_viewer_their_share(node: Node) -> None:
    ana, ben, cy = _people(node)
    profiles = node.service(Social).profiles
    profiles.replace(ana, ana.did, {
        "display_name": {"value": "Ana", "visibility": "public"},
        "skills": {"value": ["solder"], "visibility": "members"},
        "bio": {"value": "hidden", "visibility": "private"},
    })  # fmt: skip

    def shown(viewer: Account | None) -> list[str]:
        return sorted(profiles.get(ana.did, viewer)["fields"])

    assert shown(ana) == ["bio", "display_name", "skills"]
    assert shown(ben) == ["display_name", "skills"]
    assert shown(cy) == ["display_name"]
    assert shown(None) == ["display_name"]


def test_display_names_are_shown_to_whom_their_visibility_allows(node: Node) -> None:
    ana, ben, cy = _people(node)
    dan = node.accounts.register("dan", PASSWORD)
    profiles = node.service(Social).profiles
    for who, name, visibility in ((ana, "Ana Ruiz", "members"), (ben, "Ben", "public"),
                                  (cy, "Cyd", "private")):  # fmt: skip
        profiles.replace(who, who.did, {"display_name": {"value": name, "visibility": visibility}})
    everyone = [ana.did, ben.did, cy.did, dan.did]

    assert profiles.display_names(everyone, ben.did) == {ana.did: "Ana Ruiz", ben.did: "Ben"}
    assert profiles.display_names(everyone, cy.did) == {ben.did: "Ben", cy.did: "Cyd"}
    assert profiles.display_names(everyone, None) == {ben.did: "Ben"}
    assert profiles.display_names([], ana.did) == {}


def test_only_the_owner_changes_a_profile_and_erasing_leaves_nothing(node: Node) -> None:
    ana, ben, _ = _people(node)
    profiles = node.service(Social).profiles
    with pytest.raises(P2PError) as refused:
        profiles.replace(ben, ana.did, {"bio": {"value": "hacked"}})
    assert (refused.value.code, refused.value.status) == ("not_your_profile", 403)
    profiles.replace(ana, ana.did, {"bio": {"value": "one"}, "skills": {"value": ["a"]}})
    profiles.replace(ana, ana.did, {"bio": {"value": "two"}})
    assert profiles.get(ana.did, ana)["fields"] == {
        "bio": {"value": "two", "visibility": "private"}}  # fmt: skip

    assert profiles.erase(ana) == 1

    assert profiles.get(ana.did, ana)["fields"] == {}
    with node.engine.begin() as conn:
        assert conn.scalar(select(func.count()).select_from(profile_fields)) == 0


def test_a_profile_of_someone_not_living_here_is_not_found(node: Node) -> None:
    with pytest.raises(P2PError) as refused:
        node.service(Social).profiles.get("did:key:z6MkNobodyHere", None)
    assert (refused.value.code, refused.value.status) == ("unknown_member", 404)
