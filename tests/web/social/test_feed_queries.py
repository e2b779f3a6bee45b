"""The feed page reads a constant number of times from the store, however many items it
tells and however many members and referred events they name: counted on each backend by
listening to the statements the node's engine runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from p2pvalue.accounts import Account
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.web.social.pages import FEED_PAGE
from web.client import ApiClient

PASSWORD = "correct horse battery"
AUTHORS = 5
CLAIM = {"kind": "docs", "description": "an answer in the FAQ", "quantity": 1, "unit": "hours"}
# Statements a feed page runs, BEGINs included: the session, the follows, the page's rows,
# the events and names they refer to, and the navigation's unread count.
MOST_STATEMENTS = 12


@contextmanager
def counted(node: Node) -> Iterator[list[str]]:
    """The statements the node's engine runs inside the block."""
    statements: list[str] = []

    def heard(*args: Any) -> None:
        statements.append(args[2])

    event.listen(node.engine, "before_cursor_execute", heard)
    try:
        yield statements
    finally:
        event.remove(node.engine, "before_cursor_execute", heard)


def _community(node: Node, actions: int) -> Account:
    """A space followed by a reader, where several members post, start threads and reply,
    claim and review: `actions` events, each naming its author and most another event."""
    founder = node.accounts.register("founder", PASSWORD)
    space = node.create_space(founder, "Guild").id
    assert space is not None
    people = [node.accounts.register(f"author{i}", PASSWORD) for i in range(AUTHORS)]
    reader = node.accounts.register("reader", PASSWORD)
    for person in [*people, reader]:
        assert node.act(person, space, "member.join", {}).status == "accepted"
    node.service(Social).follows.follow_space(reader, space)
    last: dict[str, str] = {}
    for index in range(actions):
        who, other = people[index % AUTHORS], people[(index + 1) % AUTHORS]
        step = index % 4
        if step == 0 or "thread" not in last:
            thread = {"on": {"kind": "space"}, "title": f"Topic {index}", "text": "Hello"}
            last["thread"] = str(node.act(who, space, "thread.create", thread).id)
        elif step == 1:
            node.act(who, space, "thread.reply", {"thread": last["thread"], "text": f"re {index}"})
        elif step == 2:
            last["claim"] = str(node.act(who, space, "contribution.claim", CLAIM).id)
        else:
            review = {"claim": last["claim"], "verdict": "approve"}
            assert node.act(other, space, "contribution.review", review).status == "accepted"
    return reader


def _feed_statements(api: ApiClient, node: Node, reader: Account) -> tuple[int, str]:
    auth = {"Authorization": f"Bearer {node.accounts.open_session(reader)}"}
    assert api.http.get("/feed", headers=auth).status_code == 200  # caches as a running node has
    with counted(node) as statements:
        page = api.http.get("/feed", headers=auth)
    assert page.status_code == 200
    return len(statements), page.text


def test_a_feed_page_of_five_items_runs_few_statements(api: ApiClient, node: Node) -> None:
    reader = _community(node, 5)
    count, page = _feed_statements(api, node, reader)
    assert page.count('<li data-type="') >= 5
    assert count <= MOST_STATEMENTS, count


def test_a_feed_page_of_fifty_runs_no_more_than_one_of_five(api: ApiClient, node: Node) -> None:
    reader = _community(node, 50)
    count, page = _feed_statements(api, node, reader)
    assert page.count('<li data-type="') == FEED_PAGE
    # Told in full from what was read together: a review names the claim and its author.
    assert re.search(r">author\d</a> approved <a [^>]+>author\d</a>'s claim <a [^>]+>“an", page)
    assert re.search(r">author\d</a> replied in the thread <a [^>]+>“Topic \d+”", page)
    assert count <= MOST_STATEMENTS, count
