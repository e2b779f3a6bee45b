"""A request is authenticated once, however many of its layers ask who sent it (the rate
limits, the private-space guard, the route): counted on the node's engine."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from p2pvalue.node import Node
from web.client import ApiClient


def test_an_action_reads_its_session_once(api: ApiClient, node: Node) -> None:
    ann = api.sign_up("ann")
    space = api.create_space(ann, "Guild")
    ran: list[str] = []

    def heard(*args: Any) -> None:
        ran.append(args[2])

    event.listen(node.engine, "before_cursor_execute", heard)
    try:
        posted = api.act(ann, space, "post.create", {"text": "hello"})
        page = api.http.get(f"/spaces/{space}", headers=ann.auth)
    finally:
        event.remove(node.engine, "before_cursor_execute", heard)
    assert posted.status_code == 201 and page.status_code == 200
    assert sum("JOIN sessions" in statement for statement in ran) == 2  # one a request
