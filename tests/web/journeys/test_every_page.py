"""Every page a person can reach: a rich community is built on a node, then every page
reachable by following the site's own links from the home page is looked at, as a member and
as a visitor, at desktop and phone size; so are the pages a form shows again with its errors.
Each must fit its screen and have no serious accessibility problem."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Page, expect

from p2pvalue.node import Node
from web.journeys.conftest import looked_at, shoot
from web.journeys.people import zone_known
from web.journeys.rich import Community, build, log_in

# Links that leave the page for something other than a page: files, feeds, the API.
NOT_PAGES = re.compile(r"/api/|\.(svg|json|csv|xml|txt|js|css|png)$|/feed$|/ballots|/export")
# A crawl looks at this many pages at most, and this many of one kind (a proposal, a
# member's page…): more of the same kind would show the same templates again.
MOST_PAGES = 120
MOST_OF_A_KIND = 6
ID = re.compile(r"/(did(:|%3A)[^/]+|[A-Za-z0-9_-]{20,})")


def kind_of(url: str) -> str:
    """The page's path with its ids left out: `/spaces/…/proposals/…`."""
    return ID.sub("/…", urlsplit(url).path)


def crawl(
    page: Page, site: str, shots: Mapping[str, str] = {}, screen: str = ""
) -> tuple[list[str], list[str]]:
    """Follow same-site links from the home page: (the pages looked at, what was wrong);
    the pages named in `shots` are kept as pictures under those names."""
    host = urlsplit(site).netloc
    seen = {f"{site}/"}
    queue = deque([f"{site}/"])
    visited: list[str] = []
    problems: list[str] = []
    kinds: dict[str, int] = {}
    while queue and len(visited) < MOST_PAGES:
        url = queue.popleft()
        answer = page.goto(url)
        visited.append(url)
        # No link leads anyone to a page they may not open (a visitor sees a members'
        # document named on the timeline, not linked).
        if answer is None or answer.status >= 400:
            problems.append(f"{url} answered {answer and answer.status}")
            continue
        try:
            looked_at(page)
        except AssertionError as wrong:
            problems.append(str(wrong).split("\nassert")[0])
        if url in shots:
            shoot(page, screen, shots[url])
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            link = urldefrag(href).url
            parts = urlsplit(link)
            if parts.netloc != host or NOT_PAGES.search(parts.path) or link in seen:
                continue
            seen.add(link)
            kinds[kind_of(link)] = kinds.get(kind_of(link), 0) + 1
            if kinds[kind_of(link)] > MOST_OF_A_KIND:
                continue
            queue.append(link)
    return visited, problems


@pytest.fixture
def community(sqlite_node: Node) -> Community:
    return build(sqlite_node)


def test_every_page_a_member_reaches(
    page: Page, site: str, screen: str, community: Community
) -> None:
    zone_known(page, site)
    log_in(page, site, "alice")
    space = f"{site}/spaces/{community.space}"
    shots = {f"{site}/": "home", space: "space", f"{space}/governance": "governance",
             f"{space}/value": "value", f"{space}/tasks": "board"}  # fmt: skip
    visited, problems = crawl(page, site, shots, screen)
    kinds = {kind_of(url) for url in visited}
    for expected in ("/spaces/…/proposals/…", "/spaces/…/tasks/…", "/spaces/…/threads/…",
                     "/spaces/…/docs/…", "/messages/bob", "/notifications",
                     "/spaces/…/requests", "/spaces/…/invite", "/spaces/…/insight"):  # fmt: skip
        if expected not in kinds:
            problems.append(f"no link leads to {expected}")
    assert f"{site}/spaces/{community.private}" in visited
    assert not problems, "\n".join(problems)


def test_every_page_a_visitor_reaches(page: Page, site: str, community: Community) -> None:
    zone_known(page, site)
    visited, problems = crawl(page, site)
    assert f"{site}/spaces/{community.space}" in visited
    assert f"{site}/spaces/{community.private}" not in visited
    assert not problems, "\n".join(problems)


def checked(page: Page, problems: list[str]) -> None:
    try:
        looked_at(page)
    except AssertionError as wrong:
        problems.append(str(wrong).split("\nassert")[0])


def test_forms_shown_again_with_their_errors(page: Page, site: str, community: Community) -> None:
    zone_known(page, site)
    problems: list[str] = []
    page.goto(f"{site}/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("main")).to_contain_text("password")
    checked(page, problems)
    page.goto(f"{site}/signup")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    checked(page, problems)

    log_in(page, site, "alice")
    space = f"{site}/spaces/{community.space}"
    page.goto(f"{site}/start")
    page.get_by_role("button", name="Start the space").click()
    checked(page, problems)
    page.goto(f"{site}/messages")
    page.get_by_label("To (their username)").fill("nobody")
    page.get_by_label("Message").fill("Hello?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#to-error")).to_be_visible()
    checked(page, problems)
    page.goto(f"{space}/tasks")
    page.locator("#new-task summary").click()
    task = page.locator("#new-task form")
    task.get_by_label("Title").fill("Grease the bearings")
    task.get_by_label("Points").fill("2.5")
    task.get_by_role("button", name="Open task").click()
    expect(page.locator("#task-points-error")).to_be_visible()
    checked(page, problems)
    page.goto(f"{space}/proposals/new")
    checked(page, problems)
    page.locator("#new-proposal a").first.click()
    page.get_by_role("button", name="Propose").click()
    checked(page, problems)
    page.goto(f"{space}/value")
    page.get_by_role("button", name="Log contribution").click()
    checked(page, problems)
    page.goto(f"{space}/what-if")
    page.get_by_role("button", name="Compare").click()
    checked(page, problems)
    assert not problems, "\n".join(problems)
