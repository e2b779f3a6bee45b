"""Journey 1: sign up, start a space from a charter template whose rules read in plain
words, and invite people by username and with an expiring link."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from p2pvalue.node import Node
from web.client import PASSWORD
from web.journeys.conftest import looked_at, shoot
from web.journeys.people import another_person, fill_credentials, log_in, zone_known


def test_a_founder_starts_a_cooperative_and_invites_people(
    page: Page, site: str, screen: str, sqlite_node: Node
) -> None:
    sqlite_node.accounts.register("ben", PASSWORD)
    zone_known(page, site)
    page.goto(f"{site}/signup")
    looked_at(page)
    fill_credentials(page, "ana")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#whoami")).to_have_text("ana")
    looked_at(page)

    page.get_by_role("link", name="Start from a charter template").click()
    expect(page.get_by_role("heading", name="Start a space")).to_be_visible()
    cooperative = page.locator("[data-template=cooperative]")
    cooperative.get_by_text("Read its rules").click()
    expect(cooperative).to_contain_text("Members may invite people")
    expect(cooperative).to_contain_text("Changing these rules: Decided by majority vote.")
    expect(cooperative).to_contain_text("A contribution counts once 2 other members approve it.")
    expect(cooperative).to_contain_text("People ask to join, with a message")
    looked_at(page)
    shoot(page, screen, "start-a-space")
    page.get_by_label("Name").fill("Bread Cooperative")
    cooperative.get_by_role("radio").check()
    page.get_by_role("button", name="Start the space").click()
    expect(page.locator("#space-name")).to_have_text("Bread Cooperative")
    looked_at(page)
    space = page.url.rsplit("/", 1)[1]
    assert sqlite_node.space(space).charter["decisions"]["default"]["method"] == "consent"

    page.get_by_role("link", name="Invite people").click()
    page.get_by_label("Username").fill("bem")
    page.get_by_role("button", name="Invite").click()
    expect(page.locator("#username-error")).to_contain_text("no one is called 'bem'")
    expect(page.get_by_label("Username")).to_have_value("bem")
    looked_at(page)
    page.get_by_label("Username").fill("ben")
    page.get_by_role("button", name="Invite").click()
    expect(page.locator("#invited")).to_contain_text("ben is invited")

    page.get_by_label("Lasts").select_option(label="1 day")
    page.get_by_label("Lets in").select_option(label="5 people")
    page.get_by_role("button", name="Make a link").click()
    link = page.locator("#link-url").inner_text()
    assert re.fullmatch(rf"{re.escape(site)}/join/[A-Za-z0-9_-]{{32}}", link)
    expect(page.locator("#links li")).to_contain_text("0 of 5 used")
    looked_at(page)
    shoot(page, screen, "invite-people")

    newcomer = another_person(page)
    zone_known(newcomer, site)
    newcomer.goto(link)
    expect(newcomer.locator("#invitation")).to_contain_text("ana invites you to join")
    looked_at(newcomer)
    shoot(newcomer, screen, "invite-link")
    newcomer.get_by_role("link", name="Sign up and join").click()
    fill_credentials(newcomer, "cai")
    newcomer.get_by_role("button", name="Create account").click()
    newcomer.get_by_role("button", name="Join Bread Cooperative").click()
    expect(newcomer.locator("#members")).to_contain_text("cai")
    looked_at(newcomer)

    page.reload()
    expect(page.locator("#links li")).to_contain_text("1 of 5 used")
    page.locator("#links").get_by_role("button", name="Withdraw").click()
    expect(page.locator("#links li")).to_contain_text("withdrawn")
    newcomer.goto(link)
    expect(newcomer.locator("#link-problem")).to_contain_text("withdrawn by the person who made it")
    looked_at(newcomer)
    newcomer.context.close()

    page.get_by_role("button", name="Log out").click()
    log_in(page, site, "ben")
    page.get_by_role("link", name="Notifications").click()
    page.get_by_role("link", name="ana invites you").click()
    expect(page.locator("#my-invitation")).to_be_visible()
    looked_at(page)
    page.get_by_role("button", name="Join this space").click()
    expect(page.locator("#members")).to_contain_text("ben")
    statuses = {m["did"]: m["status"] for m in sqlite_node.members(space)}
    assert sorted(statuses.values()) == ["member", "member", "member"]
