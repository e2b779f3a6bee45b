"""Deciding together: a member picks the kind of proposal, fills only the fields it needs
(what is wrong said next to the field, what was typed kept), members vote from the keyboard,
and the outcome is applied and explained in words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Page, expect

from p2pvalue.accounts import Account
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from web.journeys.conftest import SCREENS, TIMEOUT_MS, looked_at, shoot
from web.spaces.test_pages_browser import PASSWORD, log_in


def community(node: Node) -> tuple[str, list[Account]]:
    """A space of alice, bob and carol deciding by majority in an hour (early once settled),
    with a kind of decision, `priorities`, that ranks options by the Schulze method."""
    charter: dict[str, Any] = default_charter("open")
    charter["decisions"] |= {
        "default": {"method": "majority", "window_hours": 1, "early_close": True},
        "priorities": {"method": "schulze", "window_hours": 1},
    }
    people = [node.accounts.register(name, PASSWORD) for name in ("alice", "bob", "carol")]
    space = str(node.create_space(people[0], "Seed Library", charter=charter).id)
    for person in people[1:]:
        assert node.act(person, space, "member.join", {}).status == "accepted"
    return space, people


@contextmanager
def second(browser: Browser, screen: str, site: str, name: str) -> Iterator[Page]:
    """Another member's browser, at the same screen size."""
    context = browser.new_context(
        viewport=SCREENS[screen],  # type: ignore[arg-type]
        timezone_id="Asia/Tokyo",
        bypass_csp=True,  # for axe, as in the `page` fixture
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    log_in(page, site, name)
    yield page
    context.close()


def vote_yes_by_keyboard(page: Page) -> None:
    page.get_by_label("Yes", exact=True).focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("Yes", exact=True)).to_be_checked()
    page.get_by_role("button", name="Vote").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#my-ballot")).to_contain_text("You voted yes")


def test_a_decision_in_words_is_yes_no_voted_and_explained(
    page: Page, screen: str, browser: Browser, site: str, sqlite_node: Node
) -> None:
    space, _ = community(sqlite_node)
    log_in(page, site, "alice")
    page.goto(f"{site}/spaces/{space}/governance")
    expect(page.locator("#new-proposal")).to_contain_text("A decision in words")
    looked_at(page)
    shoot(page, screen, "decide-governance")

    page.get_by_role("link", name="A decision in words").click()
    expect(page.locator("h1")).to_have_text("A decision in words")
    expect(page.locator("#decided-by")).to_contain_text("majority vote")
    # A yes/no decision has nothing to choose among: no options to type.
    expect(page.locator('textarea[name="options"]')).to_have_count(0)
    page.get_by_label("Why (the proposal's text)").fill("Open on Saturdays from March.")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator("#title-error")).to_have_text("Give the proposal a title.")
    expect(page.get_by_label("Why (the proposal's text)")).to_have_value(
        "Open on Saturdays from March."
    )
    looked_at(page)
    shoot(page, screen, "decide-form-error")

    page.get_by_label("Title").fill("Open the library on Saturdays")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator("#proposal-status")).to_have_attribute("data-status", "open")
    expect(page.locator("#policy")).to_contain_text("Decided by majority vote.")
    vote_yes_by_keyboard(page)
    proposal = page.url.rsplit("/", 1)[1]
    looked_at(page)

    with second(browser, screen, site, "bob") as bob:
        bob.goto(f"{site}/spaces/{space}/proposals/{proposal}")
        vote_yes_by_keyboard(bob)
        bob.get_by_role("button", name="Close and count").focus()
        bob.keyboard.press("Enter")
        expect(bob.locator("#proposal-status")).to_have_text("passed")
        expect(bob.locator("#outcome-status")).to_have_text(
            "Passed: 2 yes, 0 no, 0 abstaining, 0 blocking, with 2 of 3 voting;"
            " support of 100 % is over the 50 % needed."
        )
        # Bob reads the times in his own zone (Tokyo).
        expect(bob.locator(".meta").first).to_contain_text("JST")
        looked_at(bob)
        shoot(bob, screen, "decide-outcome")
    assert sqlite_node.service(Governance).proposal(space, proposal).outcome == "passed"


def test_a_role_grant_is_decided_and_applied(
    page: Page, screen: str, browser: Browser, site: str, sqlite_node: Node
) -> None:
    space, (_, _, carol) = community(sqlite_node)
    log_in(page, site, "alice")
    page.goto(f"{site}/spaces/{space}/governance")
    page.get_by_role("link", name="Grant a role").click()
    page.get_by_label("Title").fill("Carol moderates")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator("#member-error")).to_contain_text("Choose a member")
    expect(page.get_by_label("Title")).to_have_value("Carol moderates")
    looked_at(page)
    page.locator('select[name="member"]').select_option(label="carol")
    page.locator('select[name="role"]').select_option("moderator")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator("#proposal-action")).to_have_text("Grant the role moderator to carol.")
    vote_yes_by_keyboard(page)
    proposal = page.url.rsplit("/", 1)[1]
    with second(browser, screen, site, "bob") as bob:
        bob.goto(f"{site}/spaces/{space}/proposals/{proposal}")
        vote_yes_by_keyboard(bob)
        bob.get_by_role("button", name="Close and count").click()
        expect(bob.locator("#proposal-status")).to_have_text("passed and applied")
        expect(bob.locator("#outcome-status")).to_contain_text("carol now holds the role moderator")
        looked_at(bob)
    assert "moderator" in sqlite_node.service(Governance).authority(space).roles_of(carol.did)


def test_a_choice_among_options_asks_for_them_and_a_spend_for_money(
    page: Page, screen: str, site: str, sqlite_node: Node
) -> None:
    space, _ = community(sqlite_node)
    log_in(page, site, "alice")
    page.goto(f"{site}/spaces/{space}/proposals/new")
    looked_at(page)
    page.get_by_role("link", name="Choose among options: priorities").click()
    expect(page.locator("#decided-by")).to_contain_text("Schulze method")
    page.get_by_label("Title").fill("What to fix first")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator("#options-error")).to_contain_text("write at least one")
    expect(page.get_by_label("Title")).to_have_value("What to fix first")
    looked_at(page)
    page.get_by_label("Options to rank, one per line").fill("Roof\nShelves\nHeating")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator("#options")).to_contain_text("Shelves")
    page.get_by_label("Rank 1").select_option(label="Heating")
    page.get_by_role("button", name="Vote").click()
    expect(page.locator("#my-ballot")).to_contain_text("Heating")
    looked_at(page)

    page.goto(f"{site}/spaces/{space}/proposals/new?action=treasury.spend")
    page.get_by_label("Title").fill("A new lock")
    page.get_by_label("Amount").fill("12.345")
    page.get_by_label("Paid to").fill("Locksmith Ltd")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator("#amount-error")).to_contain_text("at most the decimals")
    expect(page.get_by_label("Amount")).to_have_value("12.345")
    expect(page.get_by_label("Paid to")).to_have_value("Locksmith Ltd")
    looked_at(page)
    page.get_by_label("Amount").fill("12.50")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator("#amount-error")).to_contain_text("The treasury holds less")
    looked_at(page)
