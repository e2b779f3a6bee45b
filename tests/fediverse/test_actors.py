"""Names and documents of the node's actors, and the activities of public items
(fediverse/actors.py, fediverse/activities.py): pure functions, plain values."""

from __future__ import annotations

import re
from typing import Any

import pytest

from p2pvalue.fediverse import activities, actors
from p2pvalue.fediverse.actors import Urls
from p2pvalue.node import SpaceSummary

URLS = Urls("https://node.example")
# The usernames Mastodon accepts from other servers.
MASTODON_USERNAME = re.compile(r"\A[a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?\Z", re.IGNORECASE)
DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def _summary(membership: str) -> SpaceSummary:
    return SpaceSummary("s1", "Guild", "", DID, 0, membership, {}, 1, 1)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Open Commons", "open-commons"), ("Café  Société!", "cafe-societe"),
     ("---", "space"), ("Ωμέγα", "space"), ("A" * 60, "a" * 40)],
)  # fmt: skip
def test_slugs_are_lowercase_ascii_words(name: str, expected: str) -> None:
    assert actors.slug(name) == expected
    assert MASTODON_USERNAME.match(actors.slug(name))


def test_a_later_space_of_the_same_name_gets_a_suffix_and_the_earlier_keeps_its_handle() -> None:
    handles = actors.group_handles([("s1", "Guild"), ("s2", "guild!"), ("s3", "Other")])
    assert handles["s1"] == "guild"
    assert re.fullmatch(r"guild-[0-9a-f]{8}", handles["s2"])
    assert handles["s3"] == "other"
    assert actors.group_handles([("s1", "Guild")])["s1"] == "guild"


def test_member_handles_are_valid_usernames_that_no_group_slug_can_be() -> None:
    handle = actors.member_handle(DID)
    assert re.fullmatch(r"member\.[0-9a-f]{16}", handle)
    assert MASTODON_USERNAME.match(handle)
    assert "." not in actors.slug("member.abc")


def test_only_open_spaces_are_public() -> None:
    assert actors.is_public(_summary("open"))
    assert not actors.is_public(_summary("approval"))
    assert not actors.is_public(_summary("invite"))


@pytest.mark.parametrize(
    ("resource", "handle"),
    [("acct:Guild@node.example", "guild"), ("acct:@guild@node.example", "guild"),
     ("acct:guild@other.example", None), ("https://node.example/ap/actor", None),
     ("acct:node.example", None)],
)  # fmt: skip
def test_acct_resources_name_a_handle_of_this_host(resource: str, handle: str | None) -> None:
    assert actors.acct_handle(resource, "node.example") == handle


def test_the_group_actor_document() -> None:
    group = actors.group_actor(URLS, "s1", "guild", "Guild", "We make <things>.", "PEM")
    assert group["@context"] == [actors.AS, actors.SECURITY]
    assert group["id"] == "https://node.example/ap/spaces/s1"
    assert group["summary"] == "<p>We make &lt;things&gt;.</p>"
    assert group["publicKey"] == {"id": "https://node.example/ap/spaces/s1#main-key",
                                  "owner": group["id"], "publicKeyPem": "PEM"}  # fmt: skip
    assert group["manuallyApprovesFollowers"] is False


def test_webfinger_links_the_actor_and_its_page() -> None:
    jrd = actors.webfinger(URLS, "guild", URLS.group("s1"), URLS.page("s1"))
    assert jrd["subject"] == "acct:guild@node.example"
    assert jrd["links"] == [
        {"rel": "self", "type": "application/activity+json", "href": URLS.group("s1")},
        {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
         "href": "https://node.example/spaces/s1"},
    ]  # fmt: skip


def test_paragraphs_escape_and_keep_lines() -> None:
    assert actors.paragraphs("one\ntwo & <three>\n\n\nfour") == (
        "<p>one<br>two &amp; &lt;three&gt;</p><p>four</p>")  # fmt: skip
    assert actors.paragraphs("   ") == ""


def _titles(proposal: str) -> str | None:
    return {"p1": "Adopt <rules>"}.get(proposal)


def _item(type: str, content: dict[str, Any]) -> activities.Item | None:
    return activities.item_of("e1", "s1", type, DID, 1714564800000, content, _titles)


def test_posts_and_decisions_are_items_and_nothing_else_is() -> None:
    post = _item("post.create", {"text": "hi"})
    assert post == activities.Item("e1", "s1", DID, 1714564800000, "<p>hi</p>")
    decided = _item("proposal.close", {"proposal": "p1", "outcome": "rejected"})
    assert decided is not None and decided.author is None
    assert decided.html == "<p>Decision: <strong>Adopt &lt;rules&gt;</strong> was rejected.</p>"
    unknown = _item("proposal.close", {"proposal": "p9", "outcome": "passed"})
    assert unknown is not None and "a proposal" in unknown.html
    assert _item("post.create", {}) is None  # erased
    assert _item("member.join", {}) is None


def test_an_announce_embeds_the_create_of_the_note() -> None:
    post = _item("post.create", {"text": "hi"})
    assert post is not None
    announce = activities.announce(URLS, post)
    created = announce["object"]
    assert (announce["type"], announce["actor"], announce["cc"]) == (
        "Announce", URLS.group("s1"), [URLS.group("s1") + "/followers"])  # fmt: skip
    assert "@context" not in created and "@context" not in created["object"]
    assert created["actor"] == created["object"]["attributedTo"] == URLS.member(DID)
    assert created["object"]["published"] == "2024-05-01T12:00:00Z"
    assert activities.create(URLS, post)["object"] == created["object"]


def test_an_accept_embeds_the_follow_as_received() -> None:
    follow = {"@context": actors.AS, "id": "https://m.example/f/1", "type": "Follow",
              "actor": "https://m.example/users/a", "object": URLS.group("s1")}  # fmt: skip
    accept = activities.accept(URLS, "s1", follow)
    assert (accept["type"], accept["actor"], accept["to"]) == (
        "Accept", URLS.group("s1"), ["https://m.example/users/a"])  # fmt: skip
    assert accept["object"] == {k: v for k, v in follow.items() if k != "@context"}
    assert accept["id"] != activities.accept(URLS, "s1", {**follow, "id": "x"})["id"]


def test_an_outbox_page_links_the_next_only_when_more_remain() -> None:
    post = _item("post.create", {"text": "hi"})
    assert post is not None
    last = activities.outbox_page(URLS, "s1", [post], 40, None)
    more = activities.outbox_page(URLS, "s1", [post], None, 12)
    assert last["id"] == "https://node.example/ap/spaces/s1/outbox?page=true&before=40"
    assert "next" not in last
    assert more["next"] == "https://node.example/ap/spaces/s1/outbox?page=true&before=12"
    assert [a["type"] for a in more["orderedItems"]] == ["Announce"]
