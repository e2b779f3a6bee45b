"""The social pages in a real browser: a profile edited with a visibility per field, seen in
full by its owner, in part by a member sharing a space and by a stranger, followed, and
erased after a confirm step; a space followed from its page whose new post heads the feed,
paged by its older link; notifications linking to the review and the task they ask for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, Page, expect

from p2pvalue.accounts import Account
from p2pvalue.node import Node
from p2pvalue.social import Social
from web.spaces.test_pages_browser import PASSWORD

pytestmark = pytest.mark.browser
CLAIM = {"kind": "docs", "description": "Catalogued seeds", "quantity": 2, "unit": "hours"}


@contextmanager
def member(browser: Browser, site: str, username: str) -> Iterator[Page]:
    """A page logged in as `username`, in its own browser context."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{site}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#whoami")).to_have_text(username)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def people(sqlite_node: Node) -> tuple[str, Account, Account, Account]:
    """A space alice founded and bob joined; carol shares no space with them."""
    alice, bob, carol = (
        sqlite_node.accounts.register(n, PASSWORD) for n in ("alice", "bob", "carol")
    )
    space = str(sqlite_node.create_space(alice, "Seed Library").id)
    assert sqlite_node.act(bob, space, "member.join", {}).status == "accepted"
    return space, alice, bob, carol


def shown(page: Page) -> dict[str, str]:
    """The profile fields the page shows, by name."""
    rows = page.locator("#profile [data-field]")
    return {
        str(rows.nth(n).get_attribute("data-field")): rows.nth(n).locator("dd").inner_text().strip()
        for n in range(rows.count())
    }


def test_a_profile_shows_each_viewer_what_they_may_see_and_is_erased(
    browser: Browser, site: str, sqlite_node: Node, people: tuple[str, Account, Account, Account]
) -> None:
    _, alice, bob, _ = people
    with member(browser, site, "alice") as page:
        page.locator("#my-profile").click()
        form = page.locator("#profile-form")
        form.get_by_label("Display name", exact=True).fill("Alice Seedkeeper")
        form.get_by_label("Display name: who may see it").select_option("public")
        form.get_by_label("Bio", exact=True).fill("Keeps the bean archive.")
        form.get_by_label("Bio: who may see it").select_option("members")
        form.get_by_label("Skills (comma-separated)", exact=True).fill("seed saving, docs")
        form.get_by_label("Skills (comma-separated): who may see it").select_option("private")
        form.get_by_role("button", name="Save profile").click()
        expect(page.locator("#profile-name")).to_have_text("Alice Seedkeeper")
        assert shown(page) == {
            "display_name": "Alice Seedkeeper",
            "bio": "Keeps the bean archive.",
            "skills": "seed saving, docs",
        }
        expect(page.locator('[data-field="bio"] dt')).to_contain_text("members")
        form = page.locator("#profile-form")
        expect(form.get_by_label("Skills (comma-separated)", exact=True)).to_have_value(
            "seed saving, docs")  # fmt: skip
        stored = sqlite_node.service(Social).profiles.get(alice.did, alice)["fields"]
        assert stored["skills"] == {"value": ["seed saving", "docs"], "visibility": "private"}

    with member(browser, site, "bob") as page:
        page.goto(f"{site}/members/{alice.did}")
        assert shown(page) == {"display_name": "Alice Seedkeeper", "bio": "Keeps the bean archive."}
        expect(page.locator("#profile-form")).to_have_count(0)
        page.get_by_role("button", name="Follow").click()
        expect(page.locator("#follow")).to_have_text("Unfollow")
    assert sqlite_node.service(Social).follows.of(bob.did)["members"] == [alice.did]

    with member(browser, site, "carol") as page:
        page.goto(f"{site}/members/{alice.did}")
        assert shown(page) == {"display_name": "Alice Seedkeeper"}
        page.goto(f"{site}/members/did:key:z6MkNoOneLivesHere")
        expect(page.get_by_role("alert")).to_contain_text("no member with this did")

    with member(browser, site, "alice") as page:
        page.goto(f"{site}/members/me")
        page.locator("#profile-form").get_by_label("Avatar URL", exact=True).fill("javascript:x")
        page.get_by_role("button", name="Save profile").click()
        expect(page.locator("#profile-avatar_url-error")).to_have_text(
            "Only addresses starting with https:// or http:// can be linked."
        )
        avatar = page.locator("#profile-form").get_by_label("Avatar URL", exact=True)
        expect(avatar).to_have_value("javascript:x")
        expect(avatar).to_have_attribute("aria-invalid", "true")
        assert len(sqlite_node.service(Social).profiles.get(alice.did, alice)["fields"]) == 3
        expect(page.get_by_role("button", name="Yes, erase my profile")).to_be_hidden()
        page.locator("#erase summary").click()
        page.get_by_role("button", name="Yes, erase my profile").click()
        expect(page.locator("#no-profile")).to_be_visible()
        expect(page.locator("#profile-name")).to_have_text("alice")
    assert sqlite_node.service(Social).profiles.get(alice.did, alice)["fields"] == {}


def test_a_space_followed_from_its_page_feeds_its_posts_newest_first(
    browser: Browser, site: str, sqlite_node: Node, people: tuple[str, Account, Account, Account]
) -> None:
    space, alice, _, carol = people
    for n in range(22):
        sqlite_node.act(alice, space, "post.create", {"text": f"note {n}"})
    with member(browser, site, "carol") as page:
        page.goto(f"{site}/spaces/{space}")
        page.get_by_role("button", name="Follow this space").click()
        expect(page.get_by_role("button", name="Unfollow this space")).to_be_visible()
        assert sqlite_node.service(Social).follows.of(carol.did)["spaces"] == [space]
        assert sqlite_node.act(alice, space, "post.create", {"text": "The lathe runs"}).status == (
            "accepted")  # fmt: skip
        page.get_by_role("link", name="Feed").click()
        first = page.locator("#feed li").first
        expect(first).to_contain_text("The lathe runs")
        expect(first).to_contain_text("alice")
        expect(first).to_contain_text("Seed Library")
        expect(page.locator("#feed li")).to_have_count(20)
        expect(page.locator("#feed li").nth(1)).to_contain_text("note 21")
        page.locator("#older").click()
        said = page.locator("#feed li .said").all_inner_texts()
        assert said == ["alice posted", "alice posted", "alice posted", "bob joined the space",
                        "alice founded “Seed Library”"]  # fmt: skip
        texts = page.locator("#feed li .said-text").all_inner_texts()
        assert texts == ["note 2", "note 1", "note 0"]
        expect(page.locator("#older")).to_have_count(0)
        page.goto(f"{site}/feed?before=yesterday")
        expect(page.get_by_role("alert")).to_contain_text("bad_cursor")


def test_notifications_link_to_the_review_and_the_task_they_ask_for(
    browser: Browser, site: str, sqlite_node: Node, people: tuple[str, Account, Account, Account]
) -> None:
    space, alice, bob, _ = people
    claim = sqlite_node.act(alice, space, "contribution.claim", CLAIM)
    task = sqlite_node.act(alice, space, "task.create", {"title": "Sort the beans", "labels": []})
    assign = {"task": str(task.id), "assignees": [bob.did]}
    assert (claim.status, sqlite_node.act(alice, space, "task.assign", assign).status) == (
        "accepted", "accepted")  # fmt: skip
    with member(browser, site, "bob") as page:
        page.get_by_role("link", name="Notifications").click()
        notes = page.locator("#notifications li")
        expect(notes).to_have_count(2)
        review = page.locator('#notifications li[data-kind="review_requested"]')
        expect(review).to_contain_text("Catalogued seeds")
        expect(review).to_contain_text("Seed Library")
        review.get_by_role("link").click()
        expect(page).to_have_url(f"{site}/spaces/{space}/value?status=pending")
        expect(page.locator(f'#claims li[data-claim="{claim.id}"]')).to_contain_text(
            "Catalogued seeds")  # fmt: skip
        page.go_back()
        assigned = page.locator('#notifications li[data-kind="task_assigned"]')
        expect(assigned).to_contain_text("claimed")
        assigned.get_by_role("link", name="Sort the beans").click()
        expect(page).to_have_url(f"{site}/spaces/{space}/tasks/{task.id}")
        expect(page.locator("#task-title")).to_have_text("Sort the beans")
