"""The main actions from the keyboard alone: a member logs in, posts, logs a contribution,
votes, opens and claims a task and sends a message with Tab, Enter and Space only; every
control they land on shows that it has focus, and no page keeps focus from moving on."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from p2pvalue.collab.service import Collab
from p2pvalue.demo import DEMO_PASSWORD
from p2pvalue.governance.proposals import proposals_of
from p2pvalue.governance.service import Governance
from p2pvalue.node import Node
from p2pvalue.social import Social
from web.journeys.conftest import looked_at
from web.journeys.people import zone_known
from web.journeys.rich import build

# More Tab presses than any page has controls.
MOST_TABS = 200
# Whether the focused element draws its focus: an outline, or a box shadow in its place.
SHOWS_FOCUS = """el => {
  const style = getComputedStyle(el);
  const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return el.matches(':focus-visible') && (outlined || style.boxShadow !== 'none');
}"""


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has focus; it must show it."""
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            assert target.evaluate(SHOWS_FOCUS), f"focus on {target} is not visible"
            return
    raise AssertionError(f"Tab never reaches {target} on {page.url}")


def type_into(page: Page, target: Locator, text: str) -> None:
    tab_to(page, target)
    page.keyboard.type(text)


def leaves_the_page(page: Page) -> None:
    """Tab from the top reaches the last control (the footer's language button), showing
    focus on every control on the way: nothing keeps focus inside a part of the page."""
    page.locator("body").evaluate("body => document.activeElement?.blur()")
    unseen = []
    last = page.locator("footer button")
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        if not page.evaluate(f"({SHOWS_FOCUS})(document.activeElement)"):
            unseen.append(page.evaluate("document.activeElement.outerHTML.slice(0, 120)"))
        if last.evaluate("el => el === document.activeElement"):
            assert not unseen, f"focus not visible on {page.url}: {unseen}"
            return
    raise AssertionError(f"Tab never leaves {page.url}: focus stays on {unseen[-3:]}")


def test_the_main_actions_by_keyboard(
    page: Page, site: str, screen: str, sqlite_node: Node
) -> None:
    community = build(sqlite_node)
    zone_known(page, site)
    page.goto(f"{site}/login")
    type_into(page, page.get_by_label("Username"), "alice")
    type_into(page, page.get_by_label("Password"), DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#whoami")).to_have_text("alice")
    leaves_the_page(page)

    space = f"{site}/spaces/{community.space}"
    page.goto(space)
    type_into(page, page.get_by_label("Post to the space"), "New gaskets arrived.")
    tab_to(page, page.get_by_role("button", name="Post", exact=True))
    page.keyboard.press("Space")
    expect(page.locator("#timeline")).to_contain_text("New gaskets arrived.")
    leaves_the_page(page)

    page.goto(f"{space}/value")
    form = page.locator("#claim-form")
    type_into(page, form.get_by_label("What you did"), "Sorted the gasket box")
    type_into(page, form.get_by_label("How much work"), "2")
    tab_to(page, form.get_by_role("button", name="Log contribution"))
    page.keyboard.press("Enter")
    expect(page.locator("#claims")).to_contain_text("Sorted the gasket box")
    leaves_the_page(page)

    proposals = proposals_of(sqlite_node.service(Governance).authority(community.space))
    [open_one] = [p for p in proposals.values() if p.title == "Adopt a code of conduct"]
    page.goto(f"{space}/proposals/{open_one.id}")
    vote = page.locator("#vote-form")
    tab_to(page, vote.get_by_role("radio").first)
    page.keyboard.press("Space")
    tab_to(page, vote.get_by_role("button"))
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("Change my vote")
    leaves_the_page(page)

    page.goto(f"{space}/tasks")
    tab_to(page, page.locator("#new-task summary"))
    page.keyboard.press("Enter")
    task = page.locator("#new-task form")
    type_into(page, task.get_by_label("Title"), "Replace the gaskets")
    tab_to(page, task.get_by_role("button", name="Open task"))
    page.keyboard.press("Enter")
    expect(page.locator("#task-status")).to_have_text("open")
    tab_to(page, page.get_by_role("button", name="Claim"))
    page.keyboard.press("Space")
    expect(page.locator("#task-status")).to_contain_text("claimed")
    leaves_the_page(page)

    page.goto(f"{site}/messages")
    type_into(page, page.get_by_label("To (their username)"), "carol")
    type_into(page, page.get_by_label("Message"), "Gaskets are in.")
    tab_to(page, page.get_by_role("button", name="Send"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site}/messages/carol")
    leaves_the_page(page)
    looked_at(page)

    tasks = sqlite_node.service(Collab).state(community.space).board.tasks.values()
    assert ("Replace the gaskets", "claimed") in [(t.title, t.status) for t in tasks]
    carol = community.people["carol"]
    said = sqlite_node.service(Social).conversations.read(carol, community.people["alice"].did)
    assert [s.text for s in said][-1:] == ["Gaskets are in."]


def test_nothing_keeps_focus_on_the_pages_with_widgets(
    page: Page, site: str, sqlite_node: Node
) -> None:
    """The document editor, the charts and the proposal form let Tab move on."""
    community = build(sqlite_node)
    zone_known(page, site)
    page.goto(f"{site}/login")
    type_into(page, page.get_by_label("Username"), "alice")
    type_into(page, page.get_by_label("Password"), DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#whoami")).to_have_text("alice")
    space = f"{site}/spaces/{community.space}"
    [doc] = sqlite_node.service(Collab).state(community.space).documents.by_id.values()
    for path in (f"/docs/{doc.id}", "/insight", "/proposals/new", "/charter"):
        page.goto(space + path)
        leaves_the_page(page)
