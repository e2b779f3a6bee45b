"""A member tries a policy on the space's history in a real browser, with no script of the
page's own; a proposal that changes the payout policy shows its what-ifs on its page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.simulation.service import Simulation
from web.journeys.conftest import looked_at, shoot

pytestmark = pytest.mark.browser
PASSWORD = "correct horse"


def worked(node: Node) -> tuple[str, Account]:
    """bob's 3 hours of docs and carol's 2 of code, approved by alice; 100 EUR paid out."""
    alice, bob, carol = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob", "carol"))
    charter = default_charter("open")
    charter["value"]["kinds"].remove("review")
    space = str(node.create_space(alice, "Commons", charter=charter).id)
    for member, kind, hours in ((bob, "docs", 3), (carol, "code", 2)):
        node.act(member, space, "member.join", {})
        content = {"kind": kind, "description": "work", "quantity": hours, "unit": "hours"}
        claimed = node.act(member, space, "contribution.claim", content).id
        node.act(alice, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    node.act(alice, space, "income.record", {"amount": 10_000, "currency": "EUR", "source": "g"})
    node.service(Value).pay_out(alice, space, "EUR", 10_000)
    return space, alice


def test_a_member_tries_two_approvals_and_sees_the_work_left_pending(
    page: Page, site: str, sqlite_node: Node, screen: str
) -> None:
    space, _ = worked(sqlite_node)
    page.goto(f"{site}/spaces/{space}/value")
    page.locator("#try-policy-link").click()
    looked_at(page)
    page.locator("input[name=approvals]").fill("two")
    page.locator("#policy-form button[type=submit]").click()
    expect(page.locator("#approvals-error")).to_contain_text("whole number")
    expect(page.locator("input[name=approvals]")).to_have_value("two")
    looked_at(page)
    page.locator("input[name=approvals]").fill("2")
    page.locator("input[name=budget]").fill("40")
    page.locator("#policy-form button[type=submit]").click()
    expect(page.locator("#replay-summary")).to_contain_text(
        "0 of 3 members would be better off, and 2 contributions would have ended otherwise"
    )
    bob = page.locator("#replay tbody tr", has_text="bob")
    expect(bob).to_contain_text("60.00 EUR → 0.00 EUR")
    expect(page.locator("#forecast tbody tr")).to_have_count(12)
    expect(page.locator("#forecast-chart svg")).to_have_count(1)
    expect(page.locator("#forecast-chart figcaption")).to_contain_text("the median of the runs")
    expect(page.locator("#forecast-summary")).to_contain_text("40.00 EUR paid out each month")
    looked_at(page)
    shoot(page, screen, "what-if-policy")


def test_a_proposal_to_pay_recent_work_shows_its_what_ifs(
    page: Page, site: str, sqlite_node: Node
) -> None:
    space, alice = worked(sqlite_node)
    action = {"type": "charter.amend", "patch": {"value": {"payout_policy": "IMMEDIATE"}}}
    made = sqlite_node.service(Governance).propose(
        alice, space, {"title": "Pay this month's work", "action": action}
    )
    page.goto(f"{site}/spaces/{space}/proposals/{made.id}")
    expect(page.locator("#what-if-pending")).to_contain_text("being worked out")
    looked_at(page)
    for _ in range(5):  # the node's timekeeper may tick meanwhile: worked out again
        assert sqlite_node.service(Simulation).background.settled(60)
        page.reload()
        if not page.locator("#what-if-pending").count():
            break
    expect(page.locator("#replay-heading")).to_be_visible()
    expect(page.locator("#forecast-heading")).to_contain_text("The next 12 months")
    looked_at(page)
