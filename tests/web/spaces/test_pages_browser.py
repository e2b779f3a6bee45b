"""The pages in a real browser: Debian's chromium, driven by Playwright, against uvicorn."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from p2pvalue.node import Node

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/p2pvalue-space.png")
PASSWORD = "correct horse battery"
SPACE_URL = re.compile(r"/spaces/[A-Za-z0-9_-]{43}$")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def sign_up(page: Page, site: str, username: str) -> None:
    page.goto(f"{site}/signup")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(f"{site}/")
    expect(page.locator("#whoami")).to_have_text(username)


def post(page: Page, text: str) -> None:
    page.get_by_label("Post to the space").fill(text)
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("#timeline li").first).to_contain_text(text)


def test_sign_up_found_a_space_post_and_log_in_again(
    page: Page, site: str, sqlite_node: Node
) -> None:
    sign_up(page, site, "alice")
    page.get_by_label("Name").fill("Maker Commons")
    page.get_by_label("Description").fill("Open hardware for the valley")
    page.get_by_role("button", name="Create space").click()
    expect(page).to_have_url(SPACE_URL)
    expect(page.locator("#space-name")).to_have_text("Maker Commons")
    founding = page.locator('#timeline li[data-type="space.create"]')
    expect(founding).to_contain_text("founded “Maker Commons”")
    expect(founding).to_contain_text("alice")

    post(page, "First prototype is on the bench")
    newest = page.locator("#timeline li").first
    expect(newest).to_have_attribute("data-type", "post.create")
    expect(newest).to_contain_text("alice")
    expect(page.locator("#members")).to_contain_text("alice")
    page.screenshot(path=SCREENSHOT, full_page=True)
    space = page.url.rsplit("/", 1)[1]
    assert [e.type for e in sqlite_node.events(space)] == ["space.create", "post.create"]

    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#whoami")).to_have_count(0)
    page.get_by_role("link", name="Log in", exact=True).click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#whoami")).to_have_text("alice")
    expect(page.get_by_role("link", name="Maker Commons")).to_be_visible()


def test_a_second_member_joins_and_posts(page: Page, site: str, sqlite_node: Node) -> None:
    alice = sqlite_node.accounts.register("alice", PASSWORD)
    space = sqlite_node.create_space(alice, "Maker Commons").id
    assert space is not None
    sign_up(page, site, "bob")
    page.get_by_role("link", name="Maker Commons").click()
    expect(page).to_have_url(f"{site}/spaces/{space}")
    expect(page.get_by_label("Post to the space")).to_have_count(0)

    page.get_by_role("button", name="Join this space").click()
    expect(page.get_by_role("button", name="Join this space")).to_have_count(0)
    expect(page.locator('#timeline li[data-type="member.join"]')).to_contain_text("bob")
    expect(page.locator("#members")).to_contain_text("bob")

    post(page, "Hello from bob")
    expect(page.locator("#timeline li").first).to_contain_text("bob")
    assert [m["status"] for m in sqlite_node.members(space)] == ["member", "member"]
    assert sqlite_node.space(space).accepted == 3


def test_a_wrong_password_shows_an_error(page: Page, site: str, sqlite_node: Node) -> None:
    sqlite_node.accounts.register("alice", PASSWORD)
    page.goto(f"{site}/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong password")
    expect(page).to_have_url(f"{site}/login")
    expect(page.locator("#whoami")).to_have_count(0)
    expect(page.get_by_label("Username")).to_have_value("alice")


def log_in(page: Page, site: str, username: str) -> None:
    page.goto(f"{site}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#whoami")).to_have_text(username)


def test_an_approval_space_admits_a_request_from_the_page(
    browser: Browser, site: str, sqlite_node: Node
) -> None:
    alice = sqlite_node.accounts.register("alice", PASSWORD)
    space = sqlite_node.create_space(alice, "Seed Library", membership="approval").id
    assert space is not None
    bob_context, alice_context = browser.new_context(), browser.new_context()
    bob, admin = bob_context.new_page(), alice_context.new_page()

    sign_up(bob, site, "bob")
    bob.goto(f"{site}/spaces/{space}")
    expect(bob.get_by_role("button", name="Join this space")).to_have_count(0)
    bob.get_by_role("button", name="Ask to join").click()
    expect(bob.locator("#my-request")).to_contain_text("waiting")
    expect(bob.get_by_role("button", name="Admit")).to_have_count(0)

    log_in(admin, site, "alice")
    admin.goto(f"{site}/spaces/{space}")
    admin.locator("#requests").get_by_role("button", name="Admit").click()
    expect(admin.locator("#requests")).to_have_count(0)
    expect(admin.locator("#members")).to_contain_text("bob")

    bob.reload()
    post(bob, "Tomato seeds from 2025 are in the box")
    statuses = {m["did"]: m["status"] for m in sqlite_node.members(space)}
    assert sorted(statuses.values()) == ["member", "member"]
    bob_context.close()
    alice_context.close()


def test_every_main_page_fits_a_phone(browser: Browser, site: str, sqlite_node: Node) -> None:
    """At 390 px nothing scrolls sideways, signed in (the header is at its widest then)."""
    alice = sqlite_node.accounts.register("alice", PASSWORD)
    bob = sqlite_node.accounts.register("bob", PASSWORD)
    space = str(sqlite_node.create_space(alice, "Maker Commons", "Open hardware").id)
    sqlite_node.act(bob, space, "member.join", {})
    sqlite_node.act(alice, space, "post.create", {"text": "First prototype is on the bench"})
    claim = {"kind": "code", "description": "Lathe guard drawings", "quantity": 3, "unit": "hours"}
    sqlite_node.act(bob, space, "contribution.claim", claim)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{site}/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#whoami")).to_have_text("alice")
    at = f"/spaces/{space}"
    paths = ["/", at, f"{at}/value", f"{at}/governance", f"{at}/threads", f"{at}/projects",
             f"{at}/docs", f"{at}/charter", f"{at}/value/payout", "/feed", "/notifications",
             "/members/me", "/account"]  # fmt: skip
    widths = {}
    for path in paths:
        response = page.goto(f"{site}{path}")
        assert response is not None and response.status == 200, path
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert {path: width for path, width in widths.items() if width > 390} == {}
