"""The unread count in every page's navigation, kept between pages, is the count the
notifications give: after new notifications, after marks, once news grows old, and on
two nodes sharing one PostgreSQL database, each asked in turn."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from clock import MovableClock, advance
from conftest import LIGHT_HASHING
from p2pvalue.accounts import Account
from p2pvalue.config import init_data_dir, load_config
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.social.notifications import RECENT_MS
from p2pvalue.social.unread import FRESH_MS

PASSWORD = "correct horse battery"
CLAIM = {"kind": "docs", "description": "an answer in the FAQ", "quantity": 1, "unit": "hours"}


def _unread(node: Node, did: str) -> int:
    """The count as kept, checked against the notifications derived from scratch."""
    count = node.service(Social).notifications.unread(did)
    assert count == sum(not n["read"] for n in node.service(Social).notifications.every(did))
    return count


def _mention(node: Node, by: Account, space: str, text: str) -> str:
    asking = {"on": {"kind": "space"}, "title": "Lathe", "text": text}
    outcome = node.act(by, space, "thread.create", asking)
    assert outcome.status == "accepted", outcome
    return f"mention:{outcome.id}"


def _pair(node: Node) -> tuple[Account, Account, str]:
    ann, ben = (node.accounts.register(name, PASSWORD) for name in ("ann", "ben"))
    space = node.create_space(ann, "Guild").id
    assert space is not None
    assert node.act(ben, space, "member.join", {}).status == "accepted"
    return ann, ben, space


def test_the_count_follows_new_notifications_and_marks(node: Node) -> None:
    ann, ben, space = _pair(node)
    notifications = node.service(Social).notifications
    assert _unread(node, ben.did) == 0
    first = _mention(node, ann, space, "@ben help?")
    assert _unread(node, ben.did) == 1
    assert _unread(node, ben.did) == 1  # asked again, nothing changed
    _mention(node, ann, space, "@ben and again?")
    assert _unread(node, ben.did) == 2
    assert notifications.mark_read(ben.did, [first]) == 1
    assert _unread(node, ben.did) == 1
    assert notifications.mark_read(ben.did) == 1
    assert _unread(node, ben.did) == 0
    _mention(node, ann, space, "@ben one more")
    assert _unread(node, ben.did) == 1
    assert _unread(node, ann.did) == 0


def test_news_leaves_the_count_as_it_grows_old(node: Node) -> None:
    ann, ben, space = _pair(node)
    claim = node.act(ben, space, "contribution.claim", CLAIM).id
    assert _unread(node, ann.did) == 1  # a claim to review
    reviewed = node.act(ann, space, "contribution.review", {"claim": claim, "verdict": "approve"})
    assert reviewed.status == "accepted"
    assert _unread(node, ann.did) == 0
    assert _unread(node, ben.did) == 2  # the review, and the claim decided
    advance(node, RECENT_MS + FRESH_MS)
    assert _unread(node, ben.did) == 0


@pytest.fixture
def two_nodes(tmp_path: Path, database_url: str | None) -> Iterator[tuple[Node, Node]]:
    """Two nodes on one data folder and one PostgreSQL database, as two workers are."""
    if database_url is None:
        pytest.skip("two nodes share a PostgreSQL database")
    init_data_dir(tmp_path / "node", database_url)
    config = load_config(tmp_path / "node")
    with ExitStack() as stack:
        a, b = (stack.enter_context(Node(config, password_hasher=LIGHT_HASHING,
                                         clock=MovableClock())) for _ in "ab")  # fmt: skip
        yield a, b


def test_two_nodes_on_one_database_count_what_the_other_did(
    two_nodes: tuple[Node, Node],
) -> None:
    a, b = two_nodes
    ann, ben, space = _pair(a)
    assert (_unread(a, ben.did), _unread(b, ben.did)) == (0, 0)
    first = _mention(a, ann, space, "@ben help?")
    assert (_unread(b, ben.did), _unread(a, ben.did)) == (1, 1)
    _mention(b, ann, space, "@ben again?")
    assert (_unread(a, ben.did), _unread(b, ben.did)) == (2, 2)
    a.service(Social).notifications.mark_read(ben.did, [first])
    assert (_unread(b, ben.did), _unread(a, ben.did)) == (1, 1)
    b.service(Social).notifications.mark_read(ben.did)
    assert (_unread(a, ben.did), _unread(b, ben.did)) == (0, 0)
