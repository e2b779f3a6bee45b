"""A private space on the pages: bob, invited, reads its post and its thread as written,
from the home page on; the node's admin, who holds no key of the space, and a visitor find
nothing of it, and the node's pages never show its sealed form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page, expect

from clock import MovableClock
from p2pvalue.config import init_data_dir
from p2pvalue.node import Node
from web.journeys.conftest import looked_at, shoot
from web.spaces.test_pages_browser import PASSWORD

PLAN = "We plant the rare beans by the north wall."
SEEDS = "The seeds are in the blue tin."


@pytest.fixture
def sqlite_node(tmp_path: Path) -> Iterator[Node]:
    """A node whose configuration names `root` its admin."""
    config = init_data_dir(tmp_path / "node", admins=("root",))
    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with Node(config, password_hasher=light, clock=MovableClock()) as running:
        yield running


@pytest.fixture
def garden(sqlite_node: Node) -> tuple[str, str]:
    """alice's private space with a post and a thread; bob invited and joined; root none."""
    alice, bob, _ = (sqlite_node.accounts.register(n, PASSWORD) for n in ("alice", "bob", "root"))
    space = str(sqlite_node.create_space(alice, "Hidden Garden", membership="invite",
                                         private=True).id)  # fmt: skip
    assert sqlite_node.act(alice, space, "post.create", {"text": PLAN}).status == "accepted"
    thread = {"on": {"kind": "space"}, "title": "Where the seeds are", "text": SEEDS}
    started = sqlite_node.act(alice, space, "thread.create", thread)
    for who, act, content in ((alice, "member.invite", {"member": bob.did}),
                              (bob, "member.join", {})):  # fmt: skip
        assert sqlite_node.act(who, space, act, content).status == "accepted"
    return space, str(started.id)


def _log_in(page: Page, site: str, username: str) -> None:
    page.goto(f"{site}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#whoami")).to_have_text(username)


def test_members_read_a_private_space_and_no_one_else_does(
    page: Page, site: str, screen: str, garden: tuple[str, str]
) -> None:
    space, thread = garden
    _log_in(page, site, "bob")
    page.get_by_role("link", name="Hidden Garden").click()
    post = page.locator('#timeline li[data-type="post.create"]')
    expect(post.locator(".said-text")).to_have_text(PLAN)
    expect(page.locator('#timeline li[data-type="space.create"] .said')).to_contain_text(
        "Hidden Garden"
    )
    expect(page.locator("#timeline")).not_to_contain_text("ciphertext")
    looked_at(page)
    shoot(page, screen, "private-space")

    page.goto(f"{site}/spaces/{space}/threads/{thread}")
    expect(page.get_by_text(SEEDS)).to_be_visible()
    looked_at(page)

    page.get_by_role("button", name="Log out").click()
    for who in ("root", None):
        if who:
            _log_in(page, site, who)
        expect(page.locator("body")).not_to_contain_text("Hidden Garden")
        for path in (f"/spaces/{space}", f"/spaces/{space}/threads/{thread}"):
            answer = page.goto(f"{site}{path}")
            assert answer is not None and answer.status == 404
            expect(page.locator("h1")).to_have_text("Not found")
            assert PLAN not in page.content() and SEEDS not in page.content()
        looked_at(page)
        if who:
            page.get_by_role("button", name="Log out").click()
