"""A pull request's reviews, imported from Perceval's items, shown on the value page and in
the space's activity by the reviewers' names and verdicts, never by their addresses."""

from __future__ import annotations

import warnings
from pathlib import Path

from p2pvalue.governance.templates import default_charter
from p2pvalue.importers.perceval import import_perceval
from p2pvalue.node import Node
from p2pvalue.web.app import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

ITEMS = Path(__file__).parents[2] / "importers" / "data" / "perceval_github_reviews.json"


def test_reviews_at_the_source_are_told_by_name_and_verdict(node: Node) -> None:
    alice = node.accounts.register("alice", "correct horse")
    charter = default_charter("open")
    charter["value"]["kinds"] = [*charter["value"]["kinds"], "pull_request"]
    space = str(node.create_space(alice, "Firmware", charter=charter).id)
    assert import_perceval(node.wiring, space, ITEMS.read_text()).reviews == 3
    with TestClient(create_app(node)) as client:
        page = client.get(f"/spaces/{space}/value").text
        told = client.get(f"/spaces/{space}").text
    assert "Bob Stone approved" in page and "Carol King commented" in page
    assert "that Bob Stone (not yet claimed) asked for changes to" in told
    assert "that Carol King (not yet claimed) commented on" in told
    for shown in (page, told):
        assert "example.org" not in shown.lower() and "noreply" not in shown
