"""The collaboration pages in a real browser: a project and a task made from the forms, the
task claimed, submitted and done through its buttons and its drafted claim confirmed; a
stale button refused with its code; a thread with a mention, a reply, an edit with its
history and a toggled reaction; a post whose HTML and links would run script, shown inert."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from p2pvalue.accounting.service import Value
from p2pvalue.node import Node
from web.spaces.test_pages_browser import PASSWORD, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def space(sqlite_node: Node) -> str:
    """A space alice founded and bob joined."""
    alice, bob = (sqlite_node.accounts.register(name, PASSWORD) for name in ("alice", "bob"))
    found = str(sqlite_node.create_space(alice, "Maker Commons").id)
    assert sqlite_node.act(bob, found, "member.join", {}).status == "accepted"
    return found


def moves(page: Page) -> list[str | None]:
    """The transitions the task page offers, in order."""
    forms = page.locator("#moves form")
    return [forms.nth(n).get_attribute("data-move") for n in range(forms.count())]


def test_a_task_from_the_forms_is_done_and_its_drafted_claim_confirmed(
    page: Page, site: str, sqlite_node: Node, space: str
) -> None:
    log_in(page, site, "alice")
    page.goto(f"{site}/spaces/{space}")
    page.locator("#collab-link").click()
    page.locator("#projects-link").click()
    form = page.locator("#project-form")
    form.get_by_label("Name").fill("Lathe restoration")
    form.get_by_label("Description").fill("Bring the old lathe back")
    form.get_by_label("bob").check()
    form.get_by_role("button", name="Start project").click()
    expect(page.locator("#project-name")).to_have_text("Lathe restoration")
    expect(page.locator("#project-members")).to_contain_text("alice")
    expect(page.locator("#project-members")).to_contain_text("bob")

    page.locator("#new-task summary").click()
    form = page.locator("#new-task")
    form.get_by_label("Title").fill("Write the assembly guide")
    form.get_by_label("Description").fill("**Steps** for [the lathe](https://example.org)")
    form.get_by_label("Labels").fill("docs, urgent")
    form.get_by_label("Due date").fill("2031-05-04")
    form.get_by_role("button", name="Open task").click()
    expect(page.locator("#task-title")).to_have_text("Write the assembly guide")
    expect(page.locator("#task-description strong")).to_have_text("Steps")
    expect(page.locator("#due")).to_have_text("2031-05-04")
    assert moves(page) == ["claim", "drop", "assign"]
    task = page.url.rsplit("/", 1)[1]

    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#task-status")).to_have_text("claimed")
    expect(page.locator("#assignees")).to_have_text("alice")
    assert moves(page) == ["submit", "drop", "assign"]
    stale = page.context.new_page()
    stale.goto(page.url)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#task-status")).to_have_text("in review")
    stored = sqlite_node.space(space).events
    stale.get_by_role("button", name="Submit for review").click()
    expect(stale.get_by_role("alert")).to_contain_text("Only a claimed task can be submitted")
    expect(stale.locator("#task-status")).to_have_text("in review")
    assert sqlite_node.space(space).events == stored

    page.reload()
    page.get_by_role("button", name="Mark done").click()
    expect(page.locator("#task-status")).to_have_text("done")
    expect(page.locator("#history li")).to_have_count(4)
    expect(page.locator("#draft")).to_contain_text("Write the assembly guide")
    page.get_by_label("How many hours").fill("3")
    page.get_by_role("button", name="Confirm the claim").click()
    expect(page.locator("#filed")).to_be_visible()
    ledger = sqlite_node.service(Value).ledger(space)
    claim = ledger.evidence[task]
    found = ledger.claims[claim]
    assert (found.evidence, found.quantity, found.kind) == ((task,), 3, "docs")

    page.goto(f"{site}/spaces/{space}/tasks")
    page.locator("#filters").get_by_label("Label").select_option("urgent")
    page.locator("#filters").get_by_role("button", name="Filter").click()
    expect(page.locator("#column-done li.task")).to_contain_text("Write the assembly guide")
    expect(page.locator("#board li.task")).to_have_count(1)


def start_thread(page: Page, site: str, space: str, title: str, text: str) -> None:
    page.goto(f"{site}/spaces/{space}/threads")
    page.locator("#new-thread summary").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("First post").fill(text)
    page.get_by_role("button", name="Start thread").click()
    expect(page.locator("#thread-title")).to_have_text(title)


def test_a_thread_has_mentions_a_reply_an_edit_with_history_and_reactions(
    page: Page, site: str, sqlite_node: Node, space: str
) -> None:
    log_in(page, site, "alice")
    start_thread(page, site, space, "Sunday opening", "Who can staff Sundays, @bob?")
    first = page.locator("article.post").first
    expect(first.locator('a[title="mention"]')).to_have_text("@bob")

    page.get_by_label("Reply").fill("I can do **mornings**")
    page.get_by_role("button", name="Reply").click()
    expect(page.locator("article.post")).to_have_count(2)
    expect(page.locator("article.post").last.locator(".post-body strong")).to_have_text("mornings")

    first.locator("details.edit summary").click()
    first.get_by_label("Your post").fill("Who can staff Saturdays, @bob?")
    stored = sqlite_node.space(space).events
    first.get_by_role("button", name="Save edit").click()
    expect(first.locator(".post-body")).to_contain_text("Saturdays")
    expect(first.locator(".edited")).to_have_text("edited")
    first.locator("details.history summary").click()
    versions = first.locator("details.history li .version")
    expect(versions).to_have_text(["Who can staff Sundays, @bob?",
                                   "Who can staff Saturdays, @bob?"])  # fmt: skip

    first.locator("details.edit summary").click()
    first.get_by_role("button", name="Save edit").click()
    expect(page.get_by_role("alert")).to_contain_text("The edit leaves the text as it is.")
    assert sqlite_node.space(space).events == stored + 1

    thumbs = first.locator('button.reaction[data-emoji="👍"]')
    expect(thumbs.locator(".count")).to_have_text("0")
    thumbs.click()
    expect(thumbs.locator(".count")).to_have_text("1")
    expect(thumbs).to_have_attribute("aria-pressed", "true")
    thumbs.click()
    expect(thumbs.locator(".count")).to_have_text("0")
    expect(thumbs).to_have_attribute("aria-pressed", "false")


def test_a_post_with_script_in_its_html_or_links_runs_nothing(
    page: Page, site: str, space: str
) -> None:
    dialogs: list[str] = []

    def seen(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    log_in(page, site, "alice")
    payload = "<img src=x onerror=alert(1)> and [x](javascript:alert(1)) <script>alert(2)</script>"
    start_thread(page, site, space, "Harmless?", payload)
    page.get_by_label("Reply").fill(payload)
    page.get_by_role("button", name="Reply").click()
    expect(page.locator("article.post")).to_have_count(2)
    page.reload()
    for body in page.locator(".post-body").all():
        expect(body).to_contain_text("<img src=x onerror=alert(1)> and [x](javascript:alert(1))")
    assert page.locator("[onerror]").count() == 0
    assert page.locator('[href^="javascript:" i]').count() == 0
    assert page.locator("#posts script").count() == 0
    assert dialogs == []
