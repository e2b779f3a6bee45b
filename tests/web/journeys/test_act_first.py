"""On a phone, what a member came to do comes before the long lists: on a busy space's page
the post form and the people asking to join sit within the first screen, above the timeline
and the first few members; on the task board the form to open a task sits above the board.
The long lists (all members, the rest of a column) come a page at a time, made short here."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from p2pvalue.membership.service import Membership
from p2pvalue.node import Node
from p2pvalue.web import paging
from web.client import PASSWORD
from web.journeys.conftest import looked_at, shoot
from web.journeys.people import log_in, zone_known

MEMBERS = 14
ASKING = 3
TASKS = 24


def busy_space(node: Node) -> str:
    """A space with many members, a long timeline, people asking to join and a full board."""
    ana = node.accounts.register("ana", PASSWORD)
    space = node.create_space(ana, "Tool Library", membership="approval").id
    assert space is not None
    membership = node.service(Membership)
    for n in range(MEMBERS):
        person = node.accounts.register(f"member{n:02d}", PASSWORD)
        node.act(person, space, "member.request", {"note": "Hello"})
        membership.decide(ana, space, person.did, approve=True)
        node.act(person, space, "post.create", {"text": f"Lent out drill number {n}."})
    for n in range(ASKING):
        node.act(node.accounts.register(f"asking{n}", PASSWORD), space, "member.request", {})
    for n in range(TASKS):
        node.act(ana, space, "task.create", {"title": f"Sharpen chisel {n}"})
    return space


def within_first_screen(target: Locator) -> None:
    """The element is seen without scrolling: all of it inside the screen as the page opens."""
    box, screen = target.bounding_box(), target.page.viewport_size
    assert box is not None and screen is not None, f"{target} is not laid out"
    assert box["y"] >= 0 and box["y"] + box["height"] <= screen["height"], (box, screen)


def below(lower: Locator, upper: Locator) -> bool:
    low, up = lower.bounding_box(), upper.bounding_box()
    assert low is not None and up is not None
    return low["y"] >= up["y"] + up["height"]


@pytest.mark.parametrize("screen", ["phone"])
def test_a_member_on_a_phone_acts_without_scrolling_past_the_lists(
    page: Page, site: str, sqlite_node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 10)
    space = busy_space(sqlite_node)
    zone_known(page, site)
    log_in(page, site, "ana")

    page.goto(f"{site}/spaces/{space}")
    within_first_screen(page.get_by_label("Post to the space"))
    within_first_screen(page.get_by_role("button", name="Admit asking0"))
    assert below(page.locator("#timeline"), page.locator("#members"))
    expect(page.locator("#members li")).to_have_count(8)
    looked_at(page)
    shoot(page, "phone", "space-busy")
    page.get_by_role("link", name=f"See all {MEMBERS + 1} members").click()
    expect(page.locator("#members li")).to_have_count(10)
    expect(page.locator("#members-count")).to_contain_text("Showing 1 to 10.")
    looked_at(page)
    page.get_by_role("link", name="Next").click()
    expect(page.locator("#members li")).to_have_count(MEMBERS + 1 - 10)
    expect(page.get_by_role("link", name="Next")).to_have_count(0)
    looked_at(page)
    page.get_by_role("link", name="Previous").click()
    expect(page.locator("#members li a").first).to_have_text("ana")

    page.goto(f"{site}/spaces/{space}/tasks")
    within_first_screen(page.locator("#new-task summary"))
    assert below(page.locator("#board"), page.locator("#new-task"))
    shoot(page, "phone", "board-busy")
    expect(page.locator("#column-open li.task")).to_have_count(10)
    page.get_by_role("link", name=f"Show {TASKS - 10} more tasks").click()
    expect(page.locator("#column-open li.task")).to_have_count(10)
    expect(page.locator("#column-count")).to_contain_text("Tasks 11 to 20")
    page.get_by_role("link", name="Next").click()
    expect(page.locator("#column-open li.task")).to_have_count(TASKS - 20)
    expect(page.get_by_role("link", name="Previous")).to_be_visible()
    looked_at(page)
    page.get_by_role("link", name="The whole board").click()
    page.locator("#new-task summary").click()
    form = page.locator("#new-task form")
    form.get_by_label("Title").fill("Oil the lathe")
    form.get_by_role("button", name="Open task").click()
    expect(page.locator("#task-title")).to_have_text("Oil the lathe")
    looked_at(page)


@pytest.mark.parametrize("screen", ["desktop"])
def test_on_a_desktop_the_people_sit_beside_the_timeline(
    page: Page, site: str, sqlite_node: Node
) -> None:
    space = busy_space(sqlite_node)
    zone_known(page, site)
    log_in(page, site, "ana")
    page.goto(f"{site}/spaces/{space}")
    people, timeline = page.locator(".space-people"), page.locator("#timeline")
    side, story = people.bounding_box(), timeline.bounding_box()
    assert side is not None and story is not None
    assert side["x"] >= story["x"] + story["width"], (side, story)
    within_first_screen(page.get_by_role("button", name="Admit asking0"))
    looked_at(page)
    shoot(page, "desktop", "space-busy")
