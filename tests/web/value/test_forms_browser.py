"""The value forms in a real browser: shared claims, income, payouts and endorsements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.node import Node
from web.spaces.test_pages_browser import PASSWORD, log_in

pytestmark = pytest.mark.browser
People = tuple[str, Account, Account, Account]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def people(sqlite_node: Node) -> People:
    alice, bob, carol = (sqlite_node.accounts.register(n, PASSWORD) for n in ("alice", "bob",
                                                                              "carol"))  # fmt: skip
    space = str(sqlite_node.create_space(alice, "Seed Library").id)
    for member in (bob, carol):
        sqlite_node.act(member, space, "member.join", {})
    return space, alice, bob, carol


def accepted(node: Node, space: str, by: Account, reviewer: Account, hours: int,
             **extra: Any) -> str:  # fmt: skip
    claim = {"kind": "docs", "description": f"{hours} hours of docs", "quantity": hours,
             "unit": "hours", **extra}  # fmt: skip
    claimed = str(node.act(by, space, "contribution.claim", claim).id)
    node.act(reviewer, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    return claimed


def test_a_claim_shared_in_percent_is_stored_in_basis_points(
    page: Page, site: str, sqlite_node: Node, people: People
) -> None:
    space, _, bob, carol = people
    log_in(page, site, "bob")
    page.goto(f"{site}/spaces/{space}/value")
    form = page.locator("#claim-form")
    form.get_by_label("What you did").fill("Sorted the bean drawer")
    form.get_by_label("How much work").fill("3")
    form.get_by_label("Project (optional)").fill("beans")
    form.get_by_label("Your share (%)").fill("60")
    form.get_by_label("Co-author 1 (username)").fill("carol")
    form.get_by_label("Share of co-author 1 (%)").fill("30")
    form.get_by_role("button", name="Log contribution").click()
    expect(page.locator("#claim-my-share-error")).to_have_text(
        "The shares add up to 90 %; they must add up to 100 %."
    )
    expect(form.get_by_label("Project (optional)")).to_have_value("beans")
    assert sqlite_node.service(Value).ledger(space).claims == {}

    form.get_by_label("Your share (%)").fill("66.67")
    form.get_by_label("Share of co-author 1 (%)").fill("33.33")
    form.get_by_role("button", name="Log contribution").click()
    claim = page.locator("#claims li").first
    expect(claim).to_contain_text("bob (66.67 %), carol (33.33 %)")
    expect(claim).to_contain_text("beans")
    expect(page.get_by_role("alert")).to_have_count(0)
    [stored] = sqlite_node.service(Value).ledger(space).claims.values()
    assert (stored.shares, stored.project) == ({bob.did: 6_667, carol.did: 3_333}, "beans")


def test_income_is_recorded_in_exact_minor_units(
    page: Page, site: str, sqlite_node: Node, people: People
) -> None:
    space, *_ = people
    log_in(page, site, "alice")
    page.goto(f"{site}/spaces/{space}/value")
    form = page.locator("#income-form")
    form.get_by_label("Amount received").fill("12.345")
    form.get_by_label("Source").fill("seed swap")
    form.get_by_role("button", name="Record income").click()
    expect(page.locator("#income-amount-error")).to_have_text(
        "EUR amounts have at most 2 decimals, like 12.50."
    )
    expect(form.get_by_label("Source")).to_have_value("seed swap")
    assert sqlite_node.service(Value).ledger(space).income == []

    form.get_by_label("Amount received").fill("12.34")
    form.get_by_label("Currency", exact=True).fill("eur")
    form.get_by_label("Earmark for a project (optional)").fill("beans")
    form.get_by_role("button", name="Record income").click()
    expect(page.locator("#money")).to_contain_text("+ 12.34 EUR from seed swap for beans")
    expect(page.locator("#balances")).to_contain_text("balance 12.34 EUR for beans")
    [income] = sqlite_node.service(Value).ledger(space).income
    assert (income.amount, income.currency, income.earmark) == (1_234, "EUR", "beans")
    assert sqlite_node.service(Value).ledger(space).balance("EUR", "beans") == 1_234


def test_the_income_form_is_only_for_roles_that_may_record_it(
    page: Page, site: str, people: People
) -> None:
    space, *_ = people
    log_in(page, site, "bob")
    page.goto(f"{site}/spaces/{space}/value")
    expect(page.locator("#claim-form")).to_be_visible()
    expect(page.locator("#income-form")).to_have_count(0)


def test_an_earmarked_payout_is_previewed_and_run(
    page: Page, site: str, sqlite_node: Node, people: People
) -> None:
    space, alice, bob, carol = people
    accepted(sqlite_node, space, bob, alice, 3, project="beans")  # bob 120, alice's review 5
    accepted(sqlite_node, space, carol, alice, 1)
    grant = {"amount": 10_000, "currency": "EUR", "source": "bean fund", "earmark": "beans"}
    sqlite_node.act(alice, space, "income.record", grant)
    log_in(page, site, "alice")
    page.goto(f"{site}/spaces/{space}/value")
    form = page.locator("#payout-form")
    form.get_by_label("Payout amount").fill("100.01")
    form.get_by_label("Pay out of the income earmarked for (optional)").fill("beans")
    form.get_by_role("button", name="Preview payout").click()
    expect(page.locator("#payout-amount-error")).to_have_text(
        "There is only 100.00 EUR earmarked for beans to pay out."
    )
    expect(page.get_by_label("Pay out of the income earmarked for (optional)")).to_have_value(
        "beans"
    )

    page.get_by_label("Payout amount").fill("12.50")
    page.get_by_role("button", name="Preview payout").click()
    expect(page.locator("#payout-title")).to_have_text("12.50 EUR (balanced over time), for beans")
    rows = page.locator("#payout tbody tr")
    expect(rows).to_have_count(2)
    bob_row = page.locator(f'#payout tr[data-member="{bob.did}"]')
    expect(bob_row).to_contain_text("12.00 EUR")
    expect(bob_row).to_contain_text("96.0 % of the value; target 12.00 EUR, paid so far 0.00 EUR")
    expect(page.locator(f'#payout tr[data-member="{alice.did}"]')).to_contain_text("0.50 EUR")
    expect(page.locator(f'#payout tr[data-member="{carol.did}"]')).to_have_count(0)

    page.get_by_role("button", name="Run this payout").click()
    expect(page.locator("#money")).to_contain_text(
        "\u2212 12.50 EUR paid out (balanced over time, for beans)"
    )
    expect(page.locator("#money")).to_contain_text("bob 12.00 EUR")
    expect(page.locator("#balances")).to_contain_text("balance 87.50 EUR for beans")
    ledger = sqlite_node.service(Value).ledger(space)
    assert ledger.paid_from[("EUR", "beans")] == {alice.did: 50, bob.did: 1_200}
    assert (ledger.balance("EUR", "beans"), ledger.void) == (8_750, {})


def test_a_member_endorses_a_claim_and_the_reputation_shows_it(
    page: Page, site: str, sqlite_node: Node, people: People
) -> None:
    space, alice, bob, carol = people
    accepted(sqlite_node, space, carol, alice, 2)
    claimed = accepted(sqlite_node, space, bob, alice, 3)
    log_in(page, site, "carol")
    page.goto(f"{site}/spaces/{space}/value")
    claim = page.locator(f'#claims li[data-claim="{claimed}"]')
    claim.get_by_label("Endorsement note").fill("the drawer is finally usable")
    claim.get_by_role("button", name="Endorse").click()
    claim = page.locator(f'#claims li[data-claim="{claimed}"]')
    expect(claim.locator(".endorsements")).to_have_text(
        "endorsed by carol (“the drawer is finally usable”)"
    )
    expect(claim.get_by_role("button", name="Endorse")).to_have_count(0)
    assert list(sqlite_node.service(Value).ledger(space).claims[claimed].endorsements) == [
        carol.did
    ]
    page.locator("#values").get_by_role("link", name="bob").click()
    expect(page.locator("#reputation .endorsement")).to_contain_text(
        "through the endorsement by carol"
    )
