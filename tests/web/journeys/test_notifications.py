"""Journey: a member sees how many notifications wait for them in the navigation, reads them
as sentences, marks them read one by one and all at once, chooses what is mailed to them
(an address refused with the reason next to it, then kept), and stops all mail from the
link a mail carries."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.store import notices
from web.journeys.conftest import looked_at, shoot

PASSWORD = "correct horse battery"
CLAIM = {"kind": "care", "description": "Watered the seedlings", "quantity": 2, "unit": "hours"}


def _log_in(page: Page, site: str, username: str) -> None:
    page.goto(f"{site}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#whoami")).to_have_text(username)


def test_a_member_reads_their_notifications_and_chooses_their_mail(
    page: Page, screen: str, site: str, sqlite_node: Node
) -> None:
    ann, ben = (sqlite_node.accounts.register(n, PASSWORD) for n in ("ann", "ben"))
    space = str(sqlite_node.create_space(ann, "Seed Library").id)
    assert sqlite_node.act(ben, space, "member.join", {}).status == "accepted"
    asking = {"on": {"kind": "space"}, "title": "Tomatoes", "text": "@ben which ones?"}
    assert sqlite_node.act(ann, space, "thread.create", asking).status == "accepted"
    assert sqlite_node.act(ann, space, "contribution.claim", CLAIM).status == "accepted"

    _log_in(page, site, "ben")
    expect(page.locator("#unread-count")).to_have_text("2 unread")
    looked_at(page)
    page.locator("#notifications-link").click()
    notes = page.locator("#notifications li")
    expect(notes).to_have_count(2)
    mention = page.locator('#notifications li[data-kind="mention"]')
    expect(mention).to_contain_text("ann mentioned you in “Tomatoes” in Seed Library.")
    review = page.locator('#notifications li[data-kind="review_requested"]')
    expect(review).to_contain_text("ann asks for a review of “Watered the seedlings”")
    looked_at(page)
    shoot(page, screen, "notifications")

    mention.get_by_role("button", name="Mark as read").click()
    expect(page.locator("#unread-count")).to_have_text("1 unread")
    expect(page.locator('#notifications li[data-kind="mention"]')).to_have_class("read")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#unread-count")).to_have_count(0)
    expect(page.locator("#notification-summary")).to_contain_text("You have read everything")
    looked_at(page)

    page.locator("#mail-settings").click()
    page.get_by_label("E-mail address").fill("ben@home")
    page.get_by_label("Someone mentions you").select_option("never")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#address-error")).to_contain_text("does not look like an e-mail address")
    expect(page.get_by_label("E-mail address")).to_have_value("ben@home")
    expect(page.get_by_label("Someone mentions you")).to_have_value("never")
    looked_at(page)
    page.get_by_label("E-mail address").fill("ben@example.org")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#saved")).to_contain_text("Saved")
    expect(page.get_by_label("Someone mentions you")).to_have_value("never")
    expect(page.get_by_label("You are paid")).to_have_value("immediately")
    looked_at(page)
    shoot(page, screen, "notification-settings")

    with sqlite_node.engine.connect() as conn:
        settings = notices.settings(conn, ben.did)
    assert settings is not None and settings.address == "ben@example.org"
    page.goto(f"{site}/notifications/unsubscribe?token={settings.token}")
    page.get_by_role("button", name="Stop all mail").click()
    expect(page.locator("#unsubscribed")).to_contain_text("you will get no more notification mail")
    looked_at(page)
    choice = sqlite_node.service(Social).mailing.choice(ben.did)
    assert set(choice.cadences.values()) == {"never"}
