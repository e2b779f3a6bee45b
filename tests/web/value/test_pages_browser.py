"""The value pages in a real browser: log a contribution, have a peer approve it."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, expect

from p2pvalue.accounting.service import Value
from p2pvalue.node import Node
from web.spaces.test_pages_browser import PASSWORD, log_in

pytestmark = pytest.mark.browser


def test_log_a_contribution_and_a_peer_approves_it(
    browser: Browser, site: str, sqlite_node: Node
) -> None:
    alice = sqlite_node.accounts.register("alice", PASSWORD)
    bob = sqlite_node.accounts.register("bob", PASSWORD)
    space = sqlite_node.create_space(alice, "Seed Library").id
    assert space is not None
    sqlite_node.act(bob, space, "member.join", {})
    bob_context, alice_context = browser.new_context(), browser.new_context()
    as_bob, as_alice = bob_context.new_page(), alice_context.new_page()

    log_in(as_bob, site, "bob")
    as_bob.goto(f"{site}/spaces/{space}")
    as_bob.locator("#value-link").click()
    as_bob.get_by_label("Kind").select_option("docs")
    as_bob.get_by_label("What you did").fill("Catalogued 40 seed varieties")
    as_bob.get_by_label("How much work").fill("6")
    as_bob.get_by_role("button", name="Log contribution").click()
    claim = as_bob.locator("#claims li").first
    expect(claim).to_have_attribute("data-status", "pending")
    expect(claim).to_contain_text("Catalogued 40 seed varieties")
    expect(claim.get_by_role("button", name="Approve")).to_have_count(0)

    log_in(as_alice, site, "alice")
    as_alice.goto(f"{site}/spaces/{space}/value")
    as_alice.locator("#claims li").first.get_by_role("button", name="Dispute").click()
    expect(as_alice.locator("#claims li .field-error").first).to_have_text(
        "Say why you dispute it: the people who made the claim read this."
    )
    as_alice.locator("#claims li").first.get_by_role("button", name="Approve").click()
    expect(as_alice.locator("#claims li").first).to_have_attribute("data-status", "accepted")
    accepted = sqlite_node.service(Value).ledger(space).accepted_claims()
    assert [(c.author, c.quantity, c.kind) for c in accepted] == [(bob.did, 6, "docs")]
    bob_context.close()
    alice_context.close()


def test_the_value_page_shows_the_value_table_and_payouts(
    browser: Browser, site: str, sqlite_node: Node
) -> None:
    alice = sqlite_node.accounts.register("alice", PASSWORD)
    bob = sqlite_node.accounts.register("bob", PASSWORD)
    space = str(sqlite_node.create_space(alice, "Seed Library").id)
    sqlite_node.act(bob, space, "member.join", {})
    claim = {"kind": "docs", "description": "Catalogue", "quantity": 3, "unit": "hours"}
    claimed = sqlite_node.act(bob, space, "contribution.claim", claim).id
    sqlite_node.act(alice, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    income = {"amount": 12_500, "currency": "EUR", "source": "seed sales"}
    sqlite_node.act(alice, space, "income.record", income)
    sqlite_node.service(Value).pay_out(alice, space, "EUR", 12_500)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/spaces/{space}/value")
    rows = page.locator("#values tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("bob")
    expect(rows.first).to_contain_text("96.0 %")
    expect(page.locator("#money")).to_contain_text("+ 125.00 EUR from seed sales")
    expect(page.locator("#money")).to_contain_text("bob 120.00")
    context.close()


def test_a_member_page_explains_value_and_reputation(
    browser: Browser, site: str, sqlite_node: Node
) -> None:
    alice = sqlite_node.accounts.register("alice", PASSWORD)
    bob = sqlite_node.accounts.register("bob", PASSWORD)
    space = str(sqlite_node.create_space(alice, "Seed Library").id)
    sqlite_node.act(bob, space, "member.join", {})
    claim = {"kind": "docs", "description": "Catalogue of beans", "quantity": 3, "unit": "hours"}
    claimed = sqlite_node.act(bob, space, "contribution.claim", claim).id
    sqlite_node.act(alice, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/spaces/{space}/value")
    page.locator("#values").get_by_role("link", name="bob").click()
    expect(page.locator("#member-name")).to_have_text("bob")
    expect(page.locator("#member-value")).to_contain_text("Value 120.0")
    expect(page.locator("#member-claims")).to_contain_text("multiplier:unpaid_time \u00d72")
    expect(page.locator("#reputation")).to_contain_text("authorship of “Catalogue of beans”")
    context.close()


def test_the_what_if_page_compares_a_proposed_equation(
    browser: Browser, site: str, sqlite_node: Node
) -> None:
    alice = sqlite_node.accounts.register("alice", PASSWORD)
    bob = sqlite_node.accounts.register("bob", PASSWORD)
    space = str(sqlite_node.create_space(alice, "Seed Library").id)
    sqlite_node.act(bob, space, "member.join", {})
    for author, reviewer, kind in ((bob, alice, "docs"), (alice, bob, "code")):
        claim = {"kind": kind, "description": kind, "quantity": 2, "unit": "hours"}
        claimed = sqlite_node.act(author, space, "contribution.claim", claim).id
        review = {"claim": claimed, "verdict": "approve"}
        sqlite_node.act(reviewer, space, "contribution.review", review)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/spaces/{space}/value")
    page.locator("#what-if-link").click()
    box = page.get_by_label("Proposed equation (JSON)")
    equation = json.loads(box.input_value())
    equation["kinds"]["docs"]["rate"] = {"num": 60, "den": 1}
    box.fill(json.dumps(equation))
    page.get_by_role("button", name="Compare").click()
    bob_row = page.locator("#what-if tbody tr", has_text="bob")
    # Now: 2 unpaid hours at 20, doubled, plus a review (5): 85 each, 50 %.
    # Docs at 60 an hour: bob 245 of 330.
    expect(bob_row).to_contain_text("85.0")
    expect(bob_row).to_contain_text("245.0")
    expect(bob_row).to_contain_text("74.2 %")
    box = page.get_by_label("Proposed equation (JSON)")
    box.fill('{"version": 2}')
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#equation-error")).to_have_text(
        "This equation cannot be used: effective_from: Field required."
    )
    expect(box).to_have_value('{"version": 2}')
    expect(box).to_have_attribute("aria-invalid", "true")
    context.close()


def test_the_claims_come_in_pages_that_fit_a_phone(
    browser: Browser, site: str, sqlite_node: Node
) -> None:
    alice = sqlite_node.accounts.register("alice", PASSWORD)
    bob = sqlite_node.accounts.register("bob", PASSWORD)
    space = str(sqlite_node.create_space(alice, "Seed Library").id)
    sqlite_node.act(bob, space, "member.join", {})
    made = []
    for index in range(5):
        claim = {"kind": "docs", "description": f"Seed packet {index}", "quantity": 1,
                 "unit": "hours", "evidence": [f"https://example.org/packets/{index}"]}  # fmt: skip
        made.append(str(sqlite_node.act(bob, space, "contribution.claim", claim).id))
    sqlite_node.act(alice, space, "contribution.review", {"claim": made[1], "verdict": "approve"})
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    claims, count = page.locator("#claims li"), page.locator("#claim-count")

    page.goto(f"{site}/spaces/{space}/value?limit=2")
    expect(claims).to_have_count(2)
    expect(claims.first).to_contain_text("Seed packet 4")
    expect(count).to_have_text("Claims 1\u20132 of 5, newest first")
    expect(page.locator("#newer")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#older").click()
    page.locator("#older").click()
    expect(claims).to_have_count(1)
    expect(claims.first).to_contain_text("Seed packet 0")
    expect(page.locator("#older")).to_have_count(0)
    page.locator("#newer").click()
    expect(count).to_have_text("Claims 3\u20134 of 5, newest first")
    expect(claims.first).to_contain_text("Seed packet 2")

    page.get_by_label("Status").select_option("accepted")
    page.get_by_role("button", name="Show").click()
    expect(claims).to_have_count(1)
    expect(claims.first).to_have_attribute("data-claim", made[1])
    expect(page.locator("#values tbody tr")).to_have_count(2)  # the totals cover every claim

    answer = page.goto(f"{site}/spaces/{space}/value?limit=0&after=nothing")
    assert answer is not None and answer.status == 422
    expect(page.get_by_role("alert")).to_contain_text("A page holds 1 to 100 claims")
    expect(page.get_by_role("alert")).to_contain_text("That page is gone")
    expect(claims).to_have_count(5)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
