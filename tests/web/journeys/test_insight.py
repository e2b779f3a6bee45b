"""A member looks at how their community is doing: the health page with its charts, by
month and by week, at desktop and phone size, and without JavaScript."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from p2pvalue.node import Node
from web.journeys.conftest import looked_at, shoot

CLAIM = {"kind": "code", "description": "parser", "quantity": 2, "unit": "hours"}


def a_busy_space(node: Node) -> str:
    alice, bob = (node.accounts.register(n, "correct horse") for n in ("alice", "bob"))
    space = node.create_space(alice, "Seed library").id
    assert space is not None
    node.act(bob, space, "member.join", {})
    task = node.act(alice, space, "task.create", {"title": "Catalogue seeds"}).id
    node.act(bob, space, "task.claim", {"task": task})
    claim = node.act(bob, space, "contribution.claim", CLAIM).id
    node.act(alice, space, "contribution.review", {"claim": claim, "verdict": "approve"})
    return space


def test_the_health_page_reads_at_both_sizes(
    page: Page, screen: str, site: str, sqlite_node: Node
) -> None:
    space = a_busy_space(sqlite_node)
    page.goto(f"{site}/spaces/{space}/insight")
    assert "2 people contributed" in page.locator("#summary-active").inner_text()
    assert page.locator("#chart-network svg").count() == 1
    assert "alice" in (page.locator("#chart-network table").text_content() or "")
    looked_at(page)
    shoot(page, screen, "insight")
    page.click("#by-week")
    assert "week from" in page.locator("#summary-active").inner_text()
    looked_at(page)


def test_the_health_page_works_without_javascript(
    browser: Browser, site: str, sqlite_node: Node
) -> None:
    space = a_busy_space(sqlite_node)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/spaces/{space}/insight?granularity=week")
    assert page.locator("#chart-kinds svg").count() == 1
    assert "claims" in (page.locator("#chart-kinds table").text_content() or "")
    context.close()
