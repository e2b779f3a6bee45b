"""Working together: a project with a task taken through its board (a wrong due date said
next to its field, what was typed kept), a thread with a reply (a missing post said next to
its field), and a live document two members type into at once, each seeing the other's
text."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from p2pvalue.collab.service import Collab
from p2pvalue.node import Node
from web.journeys.conftest import SCREENS, TIMEOUT_MS, looked_at, shoot
from web.spaces.test_pages_browser import PASSWORD, log_in


def community(node: Node) -> str:
    """alice's space, which bob joined."""
    alice, bob = (node.accounts.register(name, PASSWORD) for name in ("alice", "bob"))
    space = str(node.create_space(alice, "Seed Library").id)
    assert node.act(bob, space, "member.join", {}).status == "accepted"
    return space


def test_a_project_its_task_and_a_thread(
    page: Page, screen: str, site: str, sqlite_node: Node
) -> None:
    space = community(sqlite_node)
    log_in(page, site, "alice")
    page.goto(f"{site}/spaces/{space}/projects")
    looked_at(page)
    form = page.locator("#project-form")
    form.get_by_label("Name").fill("Seed catalogue")
    form.get_by_label("Description").fill("Every seed we hold, with where it grows.")
    form.get_by_role("button", name="Start project").click()
    expect(page.locator("h1")).to_have_text("Seed catalogue")
    looked_at(page)

    page.goto(f"{site}/spaces/{space}/tasks")
    page.locator("#new-task summary").press("Enter")
    task = page.locator("#new-task form")
    task.get_by_label("Title").fill("Photograph the bean drawer")
    task.get_by_label("Project").select_option(label="Seed catalogue")
    task.get_by_label("Points").fill("2.5")
    task.get_by_role("button", name="Open task").click()
    expect(page.locator("#task-points-error")).to_have_text("Points are a whole number, such as 5.")
    expect(task.get_by_label("Title")).to_have_value("Photograph the bean drawer")
    looked_at(page)
    task.get_by_label("Points").fill("3")
    task.get_by_label("Due date").fill("2026-03-31")
    task.get_by_role("button", name="Open task").click()
    expect(page.locator("#task-status")).to_have_text("open")
    page.get_by_role("button", name="Claim").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#task-status")).to_contain_text("claimed")
    looked_at(page)
    shoot(page, screen, "work-task")

    page.goto(f"{site}/spaces/{space}/tasks")
    expect(page.locator("#board")).to_contain_text("Photograph the bean drawer")
    looked_at(page)
    shoot(page, screen, "work-board")

    page.goto(f"{site}/spaces/{space}/threads")
    page.locator("#new-thread summary").click()
    thread = page.locator("#new-thread form")
    thread.get_by_label("Title").fill("Which drawer next?")
    thread.get_by_role("button", name="Start thread").click()
    expect(page.locator("#thread-text-error")).to_have_text("Write the first post.")
    expect(thread.get_by_label("Title")).to_have_value("Which drawer next?")
    expect(thread.get_by_label("First post")).to_have_attribute("aria-invalid", "true")
    looked_at(page)
    thread.get_by_label("First post").fill("Beans are done; @bob, squash or maize?")
    thread.get_by_role("button", name="Start thread").click()
    expect(page.locator("h1")).to_have_text("Which drawer next?")
    page.get_by_role("button", name="Reply").click()
    expect(page.locator("#reply-text-error")).to_have_text("Write something to reply.")
    looked_at(page)
    page.get_by_label("Reply").fill("Maize: the labels are fading.")
    page.get_by_role("button", name="Reply").click()
    expect(page.locator("main")).to_contain_text("Maize: the labels are fading.")
    looked_at(page)
    shoot(page, screen, "work-thread")
    tasks = sqlite_node.service(Collab).state(space).board.tasks.values()
    assert [(t.title, t.status) for t in tasks] == [("Photograph the bean drawer", "claimed")]


def test_two_members_type_into_one_document_and_see_each_other(
    page: Page, screen: str, browser: Browser, site: str, sqlite_node: Node
) -> None:
    space = community(sqlite_node)
    log_in(page, site, "alice")
    page.goto(f"{site}/spaces/{space}/docs")
    looked_at(page)
    page.locator("#new-doc form").get_by_label("Title").fill("Planting calendar")
    page.get_by_role("button", name="Start document").click()
    expect(page.locator("#doc-status")).to_have_text("synced")
    doc_url = page.url

    context = browser.new_context(viewport=SCREENS[screen], bypass_csp=True)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    try:
        bob = context.new_page()
        log_in(bob, site, "bob")
        bob.goto(doc_url)
        expect(bob.locator("#doc-status")).to_have_text("synced")
        page.locator(".cm-content").click()
        page.keyboard.type("March: beans.")
        expect(bob.locator(".cm-content")).to_contain_text("March: beans.")
        bob.locator(".cm-content").click()
        bob.keyboard.press("Control+End")
        bob.keyboard.type(" April: maize.")
        expect(page.locator(".cm-content")).to_contain_text("March: beans. April: maize.")
        expect(page.locator("#doc-people")).to_contain_text("bob")
        looked_at(bob)
        shoot(bob, screen, "work-document")
    finally:
        context.close()
    looked_at(page)
