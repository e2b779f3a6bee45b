"""Journey 3, contribute: a member claims work with evidence, a co-author and hours; another
member reviews it; it is accepted and valued, reputation moves, income is recorded and paid
out by the charter's payout policy. Every step on the pages, at desktop and phone size."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from p2pvalue.accounting.money import format_amount
from p2pvalue.accounting.service import Value
from p2pvalue.node import Node
from web.journeys.conftest import looked_at, shoot
from web.spaces.test_pages_browser import PASSWORD

BUG = "Fix the login bug"


def arrive(page: Page, site: str) -> None:
    """The first visit: the browser tells the node its time zone (and the page reloads)."""
    page.goto(f"{site}/")
    page.wait_for_function("document.cookie.includes('tz=')")
    page.wait_for_load_state()
    looked_at(page)


def log_in_as(page: Page, site: str, username: str) -> None:
    if page.locator("#whoami").count():
        page.get_by_role("button", name="Log out").click()
    page.goto(f"{site}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#whoami")).to_have_text(username)


def open_value_page(page: Page, site: str, space: str) -> None:
    page.goto(f"{site}/spaces/{space}")
    page.get_by_role("link", name="Contributions and value").click()
    expect(page.get_by_role("heading", name="Contributions", exact=True)).to_be_visible()
    looked_at(page)


def claim_with_mistakes(page: Page) -> None:
    # The form is at the foot of the page, past every claim; a link at the top leads to it.
    page.locator("#log-contribution-link").click()
    expect(page.get_by_role("heading", name="Log a contribution")).to_be_in_viewport()
    form = page.locator("#claim-form")
    form.get_by_label("Kind").select_option("code")
    form.get_by_label("What you did").fill(BUG)
    form.get_by_label("How much work").fill("three")
    form.get_by_label("Evidence (one link or commit per line)").fill("https://git.example/c/abc")
    form.get_by_label("Your share (%)").fill("70")
    form.get_by_label("Co-author 1 (username)").fill("bobb")
    form.get_by_label("Share of co-author 1 (%)").fill("30")
    form.get_by_role("button", name="Log contribution").click()


def test_a_claim_is_reviewed_valued_and_paid_out(page: Page, site: str, sqlite_node: Node,
                                                 screen: str) -> None:  # fmt: skip
    alice, bob, carol = (sqlite_node.accounts.register(n, PASSWORD) for n in ("alice", "bob",
                                                                              "carol"))  # fmt: skip
    space = str(sqlite_node.create_space(alice, "Login Works").id)
    for member in (bob, carol):
        sqlite_node.act(member, space, "member.join", {})
    arrive(page, site)

    # Carol claims, with two mistakes: the hours in words and a co-author misspelt.
    log_in_as(page, site, "carol")
    open_value_page(page, site, space)
    shoot(page, screen, "contribute-value")
    claim_with_mistakes(page)
    form = page.locator("#claim-form")
    expect(form.locator("#claim-quantity-error")).to_have_text(
        "Give the hours as a whole number from 1 to 100000, like 3."
    )
    expect(form.locator("#claim-co_member-1-error")).to_have_text(
        "Nobody called “bobb” is a member of this space."
    )
    expect(form.get_by_label("What you did")).to_have_value(BUG)
    expect(form.get_by_label("Share of co-author 1 (%)")).to_have_value("30")
    looked_at(page)
    shoot(page, screen, "contribute-claim-errors")
    assert sqlite_node.service(Value).ledger(space).claims == {}

    form.get_by_label("How much work").fill("3")
    form.get_by_label("Co-author 1 (username)").fill("bob")
    form.get_by_role("button", name="Log contribution").click()
    claim = page.locator("#claims li").first
    expect(claim).to_contain_text("carol (70 %), bob (30 %)")
    expect(claim.get_by_role("link", name="https://git.example/c/abc")).to_be_visible()
    expect(claim.locator(".review")).to_have_count(0)  # nobody reviews their own claim
    [stored] = sqlite_node.service(Value).ledger(space).claims.values()
    assert stored.shares == {carol.did: 7_000, bob.did: 3_000}
    assert (stored.quantity, stored.unit, stored.kind) == (3, "hours", "code")
    looked_at(page)

    page.goto(f"{site}/spaces/{space}/members/{carol.did}")
    expect(page.locator("#member-value")).to_contain_text("reputation 0.0 %")

    # Alice reviews: a dispute needs a reason, said next to the claim; then she approves.
    log_in_as(page, site, "alice")
    open_value_page(page, site, space)
    claim = page.locator(f"#claim-{stored.id}")
    claim.get_by_role("button", name="Dispute").click()
    claim = page.locator(f"#claim-{stored.id}")
    expect(claim.locator(".field-error")).to_have_text(
        "Say why you dispute it: the people who made the claim read this."
    )
    looked_at(page)
    claim.get_by_label("Reason").fill("Checked: the login works again")
    claim.get_by_role("button", name="Approve").click()
    claim = page.locator(f"#claim-{stored.id}")
    expect(claim.locator(".claim-status")).to_contain_text(
        "accepted · worth 120 · alice approved: Checked: the login works again"
    )
    looked_at(page)

    # The space's timeline says it in sentences, with names linked to profiles.
    page.get_by_role("link", name="← Login Works").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text(f"carol and bob claimed “{BUG}” — 3 h of code")
    expect(timeline).to_contain_text(f"alice approved carol's claim “{BUG}”")
    expect(timeline).not_to_contain_text("contribution.claim")
    expect(timeline.locator(".meta").first).to_contain_text(re.compile(r"\d{2}:\d{2} -05$"))
    looked_at(page)
    shoot(page, screen, "contribute-timeline")
    timeline.locator('[data-type="contribution.claim"]').get_by_role("link", name="carol").click()
    expect(page.locator("#profile-name")).to_have_text("carol")
    standing = page.locator(f'#standing li[data-space="{space}"]')
    expect(standing).to_contain_text("member")
    expect(standing).to_contain_text("1 accepted contribution")
    expect(standing).not_to_contain_text("reputation 0.0 %")
    expect(page.locator("#member-activity")).to_contain_text(f"claimed “{BUG}”")
    looked_at(page)
    shoot(page, screen, "contribute-profile")
    standing.get_by_role("link", name="1 accepted contribution").click()
    expect(page.locator("#member-value")).not_to_contain_text("reputation 0.0 %")
    looked_at(page)

    # Alice records income (a third decimal is refused in words), then pays out.
    open_value_page(page, site, space)
    income = page.locator("#income-form")
    income.get_by_label("Amount received").fill("100.005")
    income.get_by_label("Source").fill("NLnet grant")
    income.get_by_role("button", name="Record income").click()
    income = page.locator("#income-form")
    expect(income.locator("#income-amount-error")).to_have_text(
        "EUR amounts have at most 2 decimals, like 12.50."
    )
    expect(income.get_by_label("Source")).to_have_value("NLnet grant")
    looked_at(page)
    income.get_by_label("Amount received").fill("100")
    income.get_by_role("button", name="Record income").click()
    expect(page.locator("#money")).to_contain_text("+ 100.00 EUR from NLnet grant")

    payout = page.locator("#payout-form")
    payout.get_by_label("Payout amount").fill("150")
    payout.get_by_role("button", name="Preview payout").click()
    expect(page.locator("#payout-amount-error")).to_have_text(
        "There is only 100.00 EUR without an earmark to pay out."
    )
    looked_at(page)
    page.get_by_label("Payout amount").fill("60")
    page.get_by_role("button", name="Preview payout").click()
    expect(page.locator(f'#payout tr[data-member="{carol.did}"]')).to_contain_text("EUR")
    looked_at(page)
    shoot(page, screen, "contribute-payout")
    page.get_by_role("button", name="Run this payout").click()
    expect(page.locator("#money")).to_contain_text("\u2212 60.00 EUR paid out")
    [run] = sqlite_node.service(Value).ledger(space).payouts
    assert sum(run.allocations.values()) == 6_000
    assert run.allocations[carol.did] > run.allocations[bob.did] > 0
    looked_at(page)

    # Carol sees what she was paid; the raw events stay under the history link.
    log_in_as(page, site, "carol")
    page.goto(f"{site}/spaces/{space}")
    carol_paid = f"carol {format_amount(run.allocations[carol.did], 'EUR')}"
    expect(page.locator("#timeline")).to_contain_text("alice paid out 60.00 EUR: ")
    expect(page.locator("#timeline")).to_contain_text(carol_paid)
    page.get_by_role("button", name="Follow this space").click()
    page.get_by_role("link", name="Feed").click()
    expect(page.locator("#feed")).to_contain_text(carol_paid)
    looked_at(page)
    page.goto(f"{site}/spaces/{space}")
    page.get_by_role("link", name="Full record").click()
    expect(page.locator("#history")).to_contain_text("contribution.claim")
    expect(page.locator("#history")).to_contain_text("payout.run")
    looked_at(page)
