"""Follows and the feed on each backend: what the followed did, accepted only, newest first,
paged by cursor without gaps or repeats; refusals; and the index the query reads."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.events.event import now_ms
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.social.feed import summarize
from p2pvalue.social.follows import MAX_FOLLOWS
from p2pvalue.store import social as store

PASSWORD = "correct horse battery"


def _space(node: Node, founder: Account, name: str) -> str:
    space = node.create_space(founder, name).id
    assert space is not None
    return space


def _refused(code: str, status: int) -> pytest.RaisesExc[P2PError]:
    return pytest.raises(P2PError, match=f"^{code}:")


def test_summaries_say_what_an_event_did() -> None:
    assert summarize("post.create", {"text": "  hello\n  world "}) == "hello world"
    assert summarize("contribution.claim", {"title": "x" * 200}) == "x" * 139 + "…"
    assert summarize("member.join", {}) == "member join"


def test_the_feed_holds_what_the_followed_did_newest_first(node: Node) -> None:
    ana, ben, cy, dan = (node.accounts.register(n, PASSWORD) for n in ("ana", "ben", "cyd", "dan"))
    followed, elsewhere, unfollowed = (_space(node, ana, n) for n in ("One", "Two", "Three"))
    base = now_ms()
    expected = []
    steps = [(ben, followed), (ben, elsewhere), (ana, unfollowed)]
    for offset, (who, space) in enumerate(steps):
        kind, content = ("member.join", {}) if who is ben else ("post.create", {"text": "x"})
        outcome = node.act(who, space, kind, content, ts=base + offset)
        assert outcome.status == "accepted", outcome
        if who is ben:
            expected.append(outcome.id)
    posts = [node.act(ben, followed, "post.create", {"text": f"note {i}"}, ts=base + 10 + i)
             for i in range(5)]  # fmt: skip
    rejected = node.act(dan, followed, "post.create", {"text": "I am no member"}, ts=base + 20)
    assert rejected.status == "rejected"
    node.service(Social).follows.follow_space(cy, followed)
    node.service(Social).follows.follow_member(cy, ben.did)

    page = node.service(Social).feed.page(cy.did, limit=100)

    ids = [item["id"] for item in page.items]
    newest = [p.id for p in reversed(posts)] + list(reversed(expected))
    assert ids[: len(newest)] == newest
    assert ids[len(newest) :] == [followed]  # the space's founding, by someone not followed
    assert rejected.id not in ids and page.next is None
    first = page.items[0]
    assert (first["type"], first["author"], first["space"], first["space_name"]) == (
        "post.create", ben.did, followed, "One")  # fmt: skip
    assert (first["summary"], first["ts"]) == ("note 4", base + 14)


def test_pages_follow_each_other_without_gaps_or_repeats(node: Node) -> None:
    ana, cy = (node.accounts.register(n, PASSWORD) for n in ("ana", "cyd"))
    spaces = [_space(node, ana, f"S{i}") for i in range(3)]
    base = now_ms()
    for i in range(12):
        # Equal times on purpose: the store position breaks the tie.
        node.act(ana, spaces[i % 3], "post.create", {"text": f"p{i}"}, ts=base + i // 4)
    for space in spaces:
        node.service(Social).follows.follow_space(cy, space)
    whole = node.service(Social).feed.page(cy.did, limit=100).items
    walked, cursor = [], None
    while True:
        page = node.service(Social).feed.page(cy.did, before=cursor, limit=5)
        walked += page.items
        if page.next is None:
            break
        cursor = page.next
    assert [i["id"] for i in walked] == [i["id"] for i in whole]
    assert len(whole) == 15  # 12 posts and 3 foundings
    keys = [tuple(map(int, i["cursor"].split("-"))) for i in whole]
    assert keys == sorted(keys, reverse=True)


def test_a_page_thinned_by_rejected_events_is_still_full(node: Node) -> None:
    ana, cy, dan = (node.accounts.register(n, PASSWORD) for n in ("ana", "cyd", "dan"))
    space = _space(node, ana, "Busy")
    base = now_ms()
    for i in range(3):
        node.act(ana, space, "post.create", {"text": f"ok {i}"}, ts=base + i)
    for i in range(6):
        node.act(dan, space, "post.create", {"text": f"no {i}"}, ts=base + 10 + i)
    node.service(Social).follows.follow_space(cy, space)
    page = node.service(Social).feed.page(cy.did, limit=3)
    assert [i["summary"] for i in page.items] == ["ok 2", "ok 1", "ok 0"]


def test_follow_refusals_and_listing(node: Node) -> None:
    ana, ben = (node.accounts.register(n, PASSWORD) for n in ("ana", "ben"))
    space = _space(node, ana, "One")
    follows = node.service(Social).follows
    with _refused("unknown_space", 404):
        follows.follow_space(ana, "S" * 43)
    with _refused("bad_did", 422):
        follows.follow_member(ana, "did:web:example.org")
    with _refused("cannot_follow_yourself", 422):
        follows.follow_member(ana, ana.did)
    follows.follow_space(ana, space)
    follows.follow_space(ana, space)
    follows.follow_member(ana, ben.did)
    assert follows.of(ana.did) == {"spaces": [space], "members": [ben.did]}
    assert follows.unfollow(ana, "space", space) is True
    assert follows.unfollow(ana, "space", space) is False
    assert follows.of(ana.did) == {"spaces": [], "members": [ben.did]}
    with _refused("bad_cursor", 422):
        node.service(Social).feed.page(ana.did, before="yesterday")
    with _refused("bad_limit", 422):
        node.service(Social).feed.page(ana.did, limit=0)


def test_follows_are_bounded(sqlite_node: Node) -> None:
    ana = sqlite_node.accounts.register("ana", PASSWORD)
    with sqlite_node.engine.begin() as conn:
        for i in range(MAX_FOLLOWS):
            store.follow(conn, ana.did, "member", f"did:key:z{i}", 0)
    other = sqlite_node.accounts.register("ben", PASSWORD)
    with _refused("too_many_follows", 422):
        sqlite_node.service(Social).follows.follow_member(ana, other.did)


def test_the_feed_query_reads_the_feed_indexes(sqlite_node: Node) -> None:
    spaces, authors = ["a" * 43, "b" * 43], ["did:key:z6Mkx"]
    with sqlite_node.engine.begin() as conn:
        statement, params = store.feed_statement(spaces, authors, (10, 5), 50)
        explain = text(f"EXPLAIN QUERY PLAN {statement.text}")
        plan = " | ".join(row[-1] for row in conn.execute(explain, params))
    assert plan.count("USING COVERING INDEX ix_events_space_ts") == 2, plan
    assert "USING COVERING INDEX ix_events_author_ts" in plan, plan
    assert "SCAN events" not in plan, plan


def test_what_a_member_did_is_listed_for_their_profile_without_hidden_spaces(node: Node) -> None:
    ana, ben, cy = (node.accounts.register(n, PASSWORD) for n in ("ana", "ben", "cyd"))
    public = _space(node, ana, "Open")
    hidden = node.create_space(ana, "Closed", "", "invite", private=True).id
    assert hidden is not None
    base = now_ms()
    joined = node.act(ben, public, "member.join", {}, ts=base)
    said = node.act(ben, public, "post.create", {"text": "hi"}, ts=base + 1)
    refused = node.act(cy, hidden, "post.create", {"text": "no"}, ts=base + 2)
    assert refused.status in ("rejected", "refused")
    feed = node.service(Social).feed

    assert [row.id for row in feed.by_member(ben.did, cy.did)] == [said.id, joined.id]
    assert [row.id for row in feed.by_member(ben.did, None, limit=1)] == [said.id]
    assert [row.id for row in feed.by_member(ana.did, None)] == [public]
    assert {row.id for row in feed.by_member(ana.did, ana.did)} == {public, hidden}
    assert [row.id for row in feed.by_member(ana.did, ana.did, space=hidden)] == [hidden]
