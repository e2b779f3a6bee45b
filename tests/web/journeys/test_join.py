"""Journey 2: a visitor asks to join a space with a message; the members who may admit are
told, see the request in the space's Requests view and admit or decline it; the visitor
sees where their request stands."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from p2pvalue.node import Node
from web.client import PASSWORD
from web.journeys.conftest import looked_at, shoot
from web.journeys.people import another_person, fill_credentials, log_in, zone_known


def test_a_visitor_asks_to_join_and_a_member_admits_them(
    page: Page, site: str, screen: str, sqlite_node: Node
) -> None:
    ana = sqlite_node.accounts.register("ana", PASSWORD)
    space = sqlite_node.create_space(ana, "Seed Library", membership="approval").id
    assert space is not None

    zone_known(page, site)
    page.goto(f"{site}/spaces/{space}")
    looked_at(page)
    page.get_by_role("link", name="Sign up").last.click()
    fill_credentials(page, "ben")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#space-name")).to_have_text("Seed Library")
    page.get_by_label("A message for the members").fill("I keep tomato seeds from 2025.")
    page.get_by_role("button", name="Ask to join").click()
    expect(page.locator("#my-request")).to_contain_text("waiting for a member who may admit")
    looked_at(page)
    shoot(page, screen, "join-request-waiting")

    admin = another_person(page)
    zone_known(admin, site)
    log_in(admin, site, "ana")
    admin.get_by_role("link", name="Notifications").click()
    expect(admin.locator("[data-kind=join_request]")).to_contain_text("ben asks to join")
    looked_at(admin)
    admin.get_by_role("link", name="ben asks to join").click()
    request = admin.locator("#requests li")
    expect(request).to_contain_text("I keep tomato seeds from 2025.")
    expect(request).to_contain_text("-05")  # asked at a time in the viewer's zone
    looked_at(admin)
    shoot(admin, screen, "join-requests")
    request.get_by_role("button", name="Admit ben").click()
    expect(admin.locator("#no-requests")).to_be_visible()
    admin.context.close()

    page.goto(f"{site}/spaces/{space}")
    expect(page.locator("#members")).to_contain_text("ben")
    expect(page.get_by_label("Post to the space")).to_be_visible()
    looked_at(page)


def test_a_declined_visitor_is_told_and_may_ask_again(
    page: Page, site: str, sqlite_node: Node
) -> None:
    ana = sqlite_node.accounts.register("ana", PASSWORD)
    cai = sqlite_node.accounts.register("cai", PASSWORD)
    space = sqlite_node.create_space(ana, "Seed Library", membership="approval").id
    assert space is not None
    sqlite_node.act(cai, space, "member.request", {"note": "Hello"})

    zone_known(page, site)
    log_in(page, site, "ana")
    page.goto(f"{site}/spaces/{space}/requests")
    page.locator("#requests li").get_by_role("button", name="Decline").click()
    expect(page.locator("#no-requests")).to_be_visible()
    looked_at(page)
    page.get_by_role("button", name="Log out").click()

    log_in(page, site, "cai")
    page.goto(f"{site}/spaces/{space}/requests")
    expect(page.locator("#my-request")).to_contain_text("Your last request was declined")
    looked_at(page)
    page.get_by_role("button", name="Ask to join").click()
    expect(page.locator("#my-request")).to_contain_text("waiting")
    statuses = {m["did"]: m["status"] for m in sqlite_node.members(space)}
    assert statuses[cai.did] == "requested"
