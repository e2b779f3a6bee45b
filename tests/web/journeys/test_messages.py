"""Talking privately: ana writes to ben by username from the Messages page (a wrong username
is answered next to the field, her text kept), ben sees one new message in his list, reads
it and answers, and ana finds the answer."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from p2pvalue.node import Node
from web.journeys.conftest import looked_at, shoot
from web.spaces.test_pages_browser import PASSWORD

NOTE = "Can you bring the seed trays on Saturday?"


def _log_in(page: Page, site: str, username: str) -> None:
    page.goto(f"{site}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#whoami")).to_have_text(username)


def test_two_members_talk_privately(page: Page, site: str, screen: str, sqlite_node: Node) -> None:
    for name in ("ana", "ben"):
        sqlite_node.accounts.register(name, PASSWORD)
    _log_in(page, site, "ana")
    page.get_by_role("link", name="Messages").click()
    expect(page.locator("#conversations")).to_contain_text("No messages yet")
    looked_at(page)

    page.get_by_label("To (their username)").fill("benn")
    page.get_by_label("Message").fill(NOTE)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#to-error")).to_have_text("No one on this node has the username “benn”.")
    expect(page.get_by_label("Message")).to_have_value(NOTE)
    expect(page.get_by_label("To (their username)")).to_have_attribute("aria-invalid", "true")
    looked_at(page)
    shoot(page, screen, "messages-refused")

    page.get_by_label("To (their username)").fill("ben")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(f"{site}/messages/ben")
    expect(page.locator("#conversation li.mine .text")).to_have_text(NOTE)
    looked_at(page)

    page.get_by_role("button", name="Log out").click()
    _log_in(page, site, "ben")
    page.get_by_role("link", name="Messages").click()
    talk = page.locator("#conversations li[data-with=ana]")
    expect(talk.locator(".unread")).to_have_text("1 new")
    expect(talk.locator(".last")).to_have_text(NOTE)
    looked_at(page)
    shoot(page, screen, "messages-list")

    talk.get_by_role("link", name="ana").click()
    expect(page.locator("#conversation li.theirs .text")).to_have_text(NOTE)
    page.get_by_label("Message").fill("   ")
    page.get_by_role("button", name="Send to ana").click()
    expect(page.locator("#text-error")).to_have_text("Write something to send.")
    page.get_by_label("Message").fill("Yes, all six of them.")
    page.get_by_role("button", name="Send to ana").click()
    expect(page.locator("#latest .text")).to_have_text("Yes, all six of them.")
    looked_at(page)
    shoot(page, screen, "messages-conversation")
    page.get_by_role("link", name="All conversations").click()
    expect(page.locator("#conversations li[data-with=ana] .unread")).to_have_count(0)
    expect(page.locator("#conversations li[data-with=ana] .last")).to_have_text(
        "You: Yes, all six of them."
    )

    page.get_by_role("button", name="Log out").click()
    _log_in(page, site, "ana")
    page.get_by_role("link", name="Messages").click()
    expect(page.locator("#conversations li[data-with=ben] .unread")).to_have_text("1 new")
    expect(page.locator("#conversations li[data-with=ben] .last")).to_have_text(
        "Yes, all six of them."
    )
    looked_at(page)
