"""What the journeys do again and again: a second person in their own browser at the same
screen size, signing up and logging in through the pages."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from web.client import PASSWORD
from web.journeys.conftest import TIMEOUT_MS

ZONE = "America/Bogota"  # the journeys' browsers' zone, five hours behind UTC


def zone_known(page: Page, site: str) -> None:
    """Give the site the browser's time zone, as `static/timezone.js` does on a first
    visit (whose reload would otherwise land in the middle of a check)."""
    page.context.add_cookies([{"name": "tz", "value": ZONE, "url": site}])


def another_person(page: Page) -> Page:
    """A fresh browser context beside `page`'s, at its size and in its time zone."""
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(viewport=page.viewport_size, timezone_id=ZONE,
                                  locale="en-US", bypass_csp=True)  # fmt: skip
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def fill_credentials(page: Page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)


def log_in(page: Page, site: str, username: str) -> None:
    page.goto(f"{site}/login")
    fill_credentials(page, username)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#whoami")).to_have_text(username)
