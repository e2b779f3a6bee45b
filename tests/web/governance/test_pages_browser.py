"""The governance pages in a real browser: proposals made from the forms, votes cast with the
form each method needs, closes refused while undecided and then enacted, with the count
recounted from the log; an election, a refused block, a charter amendment in the history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from p2pvalue.accounts import Account
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from web.spaces.test_pages_browser import PASSWORD, log_in

pytestmark = pytest.mark.browser
# The elements inside `selector` that reach past its right edge.
WIDER_THAN_ITS_BOX = """selector => {
  const outer = document.querySelector(selector).getBoundingClientRect().right;
  return [...document.querySelectorAll(selector + ' *')]
    .filter(e => e.getBoundingClientRect().right > outer + 0.5).map(e => e.tagName);
}"""


def charter(**decisions: dict[str, Any]) -> dict[str, Any]:
    """The default charter, with hour-long windows that close early once settled."""
    found = default_charter("open")
    found["decisions"]["default"] = {"method": "majority", "window_hours": 1, "early_close": True}
    found["decisions"]["charter"] = {
        "method": "majority", "threshold": "2/3", "window_hours": 1, "early_close": True,
    }  # fmt: skip
    found["decisions"].update(decisions)
    return found


def community(node: Node, names: list[str], rules: dict[str, Any]) -> tuple[str, list[Account]]:
    """A space founded by the first of `names` under `rules`, which the others joined."""
    people = [node.accounts.register(name, PASSWORD) for name in names]
    space = str(node.create_space(people[0], "Seed Library", charter=rules).id)
    for person in people[1:]:
        assert node.act(person, space, "member.join", {}).status == "accepted"
    return space, people


@contextmanager
def member(browser: Browser, site: str, name: str) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, site, name)
    yield page
    context.close()


def new_proposal(page: Page, action: str, title: str) -> Any:
    """The new-proposal form for `action`, reached from the governance page, its title
    filled in."""
    page.locator("#new-proposal").locator(f'a[href$="action={action}"]').click()
    form = page.locator("#proposal-form")
    form.get_by_label("Title").fill(title)
    return form


def test_a_role_grant_is_proposed_voted_closed_and_enacted(
    browser: Browser, site: str, sqlite_node: Node
) -> None:
    space, (_, bob, carol) = community(sqlite_node, ["alice", "bob", "carol"], charter())
    with member(browser, site, "alice") as page:
        page.goto(f"{site}/spaces/{space}")
        page.locator("#governance-link").click()
        form = new_proposal(page, "role.grant", "Carol moderates")
        form.locator('select[name="member"]').select_option(label="carol")
        form.locator('select[name="role"]').select_option("moderator")
        form.get_by_role("button", name="Propose").click()
        expect(page.locator("#proposal-status")).to_have_attribute("data-status", "open")
        expect(page.locator("#proposal-action")).to_have_text("Grant the role moderator to carol.")
        expect(page.locator("#policy")).to_contain_text("Decided by majority vote.")
        expect(page.get_by_label("Block (a veto, with a reason)")).to_have_count(0)
        proposal = page.url.rsplit("/", 1)[1]

        page.get_by_label("Yes", exact=True).check()
        page.get_by_role("button", name="Vote").click()
        expect(page.locator("#my-ballot")).to_contain_text("You voted yes")
        expect(page.get_by_label("Yes", exact=True)).to_be_checked()
        expect(page.locator("#figures")).to_contain_text("yes1")
        stored = sqlite_node.space(space).events
        page.get_by_role("button", name="Close and count").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "The window is open and the outcome is not settled yet."
        )
        expect(page.locator("#proposal-status")).to_have_attribute("data-status", "open")
        assert sqlite_node.space(space).events == stored

    with member(browser, site, "bob") as page:
        page.goto(f"{site}/spaces/{space}/proposals/{proposal}")
        page.get_by_label("Yes", exact=True).check()
        page.get_by_role("button", name="Vote").click()
        expect(page.locator("#my-ballot")).to_contain_text("You voted yes")
        page.get_by_role("button", name="Close and count").click()
        expect(page.locator("#proposal-status")).to_have_attribute("data-status", "enacted")
        expect(page.locator("#outcome-status")).to_contain_text("Passed:")
        expect(page.locator("#recount")).to_have_text(
            "Recounted from the log: matches the recorded outcome."
        )
        expect(page.locator("#figures")).to_contain_text("support: yes / (yes + no + block)1")
        page.goto(f"{site}/notifications")
        expect(page.locator('#notifications li[data-kind="outcome"]')).to_contain_text(
            "Carol moderates"
        )
        page.goto(f"{site}/spaces/{space}")
        expect(page.locator("#members li", has_text="carol")).to_contain_text("moderator")
    assert "moderator" in sqlite_node.service(Governance).authority(space).roles_of(carol.did)
    assert bob.did in sqlite_node.service(Governance).proposal(space, proposal).ballots


def test_an_stv_election_is_ranked_on_the_form_and_closed(
    browser: Browser, site: str, sqlite_node: Node
) -> None:
    stv = {"method": "stv", "seats": 2, "window_hours": 1, "early_close": True}
    space, people = community(sqlite_node, ["ann", "ben", "cat", "dan"], charter(election=stv))
    ann, ben, cat, dan = people
    with member(browser, site, "ann") as page:
        page.goto(f"{site}/spaces/{space}/governance")
        form = new_proposal(page, "election", "Stewards")
        form.locator('select[name="role"]').select_option("moderator")
        for name in ("ben", "cat", "dan"):
            form.get_by_label(name, exact=True).check()
        form.get_by_role("button", name="Propose").click()
        expect(page.locator("#policy")).to_contain_text("single transferable vote for 2 seats")
        proposal = page.url.rsplit("/", 1)[1]

        page.get_by_label("Rank 1").select_option(label="ben")
        page.get_by_label("Rank 2").select_option(label="cat")
        page.get_by_role("button", name="Vote").click()
        expect(page.locator("#my-ballot")).to_contain_text("You voted ranking ben > cat")
        expect(page.get_by_label("Rank 1")).to_have_value(ben.did)
        expect(page.get_by_label("Rank 3")).to_have_value("")
        rankings = {ben: [ben, dan], cat: [cat, ben], dan: [ben, cat, dan]}
        for voter, ranking in rankings.items():
            ballot = {"ranking": [p.did for p in ranking]}
            assert (
                sqlite_node.service(Governance).vote(voter, space, proposal, ballot).status
                == "accepted"
            )
        page.reload()
        expect(page.locator("#tally #winners")).to_contain_text("Leading: ben, cat")
        page.get_by_role("button", name="Close and count").click()
        expect(page.locator("#proposal-status")).to_have_attribute("data-status", "enacted")
        expect(page.locator("#winners")).to_have_text("Elected: ben, cat")
        expect(page.locator("#rounds li").first).to_contain_text("ben 3, cat 1, dan 0; elected ben")
        expect(page.locator("#recount")).to_contain_text("matches")
        blt = page.locator("#downloads").get_by_role("link", name="BLT").get_attribute("href")
        assert blt is not None
        assert page.request.get(f"{site}{blt}").text().splitlines()[0] == "3 2"
    roles = sqlite_node.service(Governance).authority(space).roles_of
    assert ("moderator" in roles(ben.did), "moderator" in roles(cat.did)) == (True, True)
    assert "moderator" not in roles(dan.did) and "moderator" not in roles(ann.did)


def test_a_block_without_a_reason_is_refused_and_delegation_is_set_and_revoked(
    browser: Browser, site: str, sqlite_node: Node
) -> None:
    consent = {"method": "consent", "window_hours": 1}
    space, (alice, _) = community(sqlite_node, ["alice", "bob"], charter(text=consent))
    made = sqlite_node.service(Governance).propose(alice, space, {"title": "Open on Sundays",
                                                         "action": {"type": "text"}})  # fmt: skip
    with member(browser, site, "bob") as page:
        page.goto(f"{site}/spaces/{space}/proposals/{made.id}")
        expect(page.locator("#policy")).to_contain_text("A reasoned block (veto) rejects it")
        stored = sqlite_node.space(space).events
        page.get_by_label("Block (a veto, with a reason)").check()
        page.get_by_role("button", name="Vote").click()
        expect(page.get_by_role("alert")).to_contain_text("A block")
        expect(page.locator("#my-ballot")).to_have_count(0)
        assert sqlite_node.space(space).events == stored

        page.get_by_label("Block (a veto, with a reason)").check()
        page.get_by_role("textbox", name="Reason").fill("Nobody can staff it")
        page.get_by_role("button", name="Vote").click()
        expect(page.locator("#my-ballot")).to_have_text(
            "You voted block (“Nobody can staff it”); you can change it until the close."
        )
        expect(page.locator("#tally")).to_contain_text("it would not pass")

        page.goto(f"{site}/spaces/{space}/governance")
        delegating = page.locator("#delegate-form")
        delegating.locator('select[name="kind"]').select_option("*")
        delegating.locator('select[name="to"]').select_option(label="alice")
        delegating.get_by_role("button", name="Delegate").click()
        expect(page.locator("#delegations")).to_contain_text("every kind → alice")
        page.locator("#delegations").get_by_role("button", name="Revoke").click()
        expect(page.locator("#delegations")).to_have_text(
            "You delegate nothing: you vote yourself."
        )
    assert sqlite_node.service(Governance).authority(space).delegations == {}


def test_a_passed_amendment_shows_its_diff_and_joins_the_charter_history(
    browser: Browser, site: str, sqlite_node: Node
) -> None:
    space, (_, bob, carol) = community(sqlite_node, ["alice", "bob", "carol"], charter())
    with member(browser, site, "alice") as page:
        page.goto(f"{site}/spaces/{space}/charter")
        expect(page.locator("#charter-history > li")).to_have_count(1)
        page.locator("#amend-link").click()
        form = page.locator("#proposal-form")
        form.get_by_label("Title").fill("Admit by approval")
        form.get_by_label("Change").fill('{"membership": approval}')
        stored = sqlite_node.space(space).events
        form.get_by_role("button", name="Propose").click()
        expect(page.locator("#patch-error")).to_contain_text("cannot be read as JSON")
        assert sqlite_node.space(space).events == stored
        form = page.locator("#proposal-form")
        expect(form.get_by_label("Title")).to_have_value("Admit by approval")
        form.get_by_label("Change").fill('{"membership": "approval"}')
        form.get_by_role("button", name="Propose").click()
        row = page.locator("#charter-diff tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("membership")
        expect(row.locator(".removed")).to_have_text("open")
        expect(row.locator(".added")).to_have_text("approval")
        proposal = page.url.rsplit("/", 1)[1]

        page.get_by_label("Yes", exact=True).check()
        page.get_by_role("button", name="Vote").click()
        for voter in (bob, carol):
            sqlite_node.service(Governance).vote(voter, space, proposal, {"choice": "yes"})
        page.get_by_role("button", name="Close and count").click()
        expect(page.locator("#proposal-status")).to_have_attribute("data-status", "enacted")
        expect(page.locator("#charter-diff .added")).to_have_text("approval")

        page.goto(f"{site}/spaces/{space}/charter")
        expect(page.locator("#membership")).to_contain_text("by approval")
        history = page.locator("#charter-history > li")
        expect(history).to_have_count(2)
        expect(history.first).to_contain_text("set by closing Admit by approval")
        expect(history.first.locator(".diff")).to_contain_text("membershipopenapproval")
        expect(history.last).to_contain_text("set when the space was founded")
    assert sqlite_node.space(space).membership == "approval"


def test_the_outcome_and_its_follow_ups_on_a_phone(
    browser: Browser, site: str, sqlite_node: Node
) -> None:
    space, (alice, bob, _) = community(sqlite_node, ["alice", "bob", "carol"], charter())
    governance = sqlite_node.service(Governance)
    content = {"title": "Buy a laser cutter", "action": {"type": "text"}}
    proposal = str(governance.propose(bob, space, content).id)
    for who in (alice, bob):
        governance.vote(who, space, proposal, {"choice": "yes"})
    assert governance.close(bob, space, proposal).status == "accepted"  # settled: early close
    assert governance.proposal(space, proposal).status == "enacted"
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, site, "bob")
    page.goto(f"{site}/spaces/{space}/proposals/{proposal}")
    expect(page.locator("#no-statement")).to_be_visible()
    page.get_by_label("State the outcome (Markdown)").fill("We buy it; **carol** orders it.")
    page.get_by_role("button", name="Save the statement").click()
    expect(page.locator("#outcome-statement strong")).to_have_text("carol")
    page.get_by_label("A follow-up item").fill("Order the cutter")
    page.get_by_role("button", name="Add").click()
    item = page.locator("#followups li", has_text="Order the cutter")
    expect(item).to_contain_text("not started")
    item.get_by_label("Status").select_option("in_progress")
    item.get_by_label("Progress %").fill("40")
    item.get_by_role("button", name="Update").click()
    item = page.locator("#followups li", has_text="Order the cutter")
    expect(item.locator("progress")).to_have_attribute("value", "40")
    expect(item).to_contain_text("in progress")
    # The section fits a phone (the logged-in header is base.html's and wider, for now).
    box = page.locator("#after-close").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    assert page.evaluate(WIDER_THAN_ITS_BOX, "#after-close") == []
    context.close()
    with member(browser, site, "carol") as page:
        page.goto(f"{site}/spaces/{space}/proposals/{proposal}")
        expect(page.locator("#outcome-statement")).to_contain_text("carol orders it")
        expect(page.locator("#followups progress")).to_have_attribute("value", "40")
        expect(page.locator("#statement-form, #followup-form")).to_have_count(0)
