"""The document pages in a real browser, with a real Yjs client on Node beside it: a document
started from the form, typed into and edited from Node both ways, its people listed and a
snapshot signed from the page; a reader's page that cannot edit; a non-member turned away;
a title with markup shown as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from web.client import ApiClient, Member
from web.spaces.test_pages_browser import log_in
from web.yjs_node import WAIT_SECONDS, YClient
from web.ypeer import community

if TYPE_CHECKING:
    from starlette.testclient import TestClient

pytestmark = pytest.mark.browser

DOC_URL = re.compile(r"/spaces/[A-Za-z0-9_-]{43}/docs/[A-Za-z0-9_-]{43}$")
TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Space:
    """alice founded it, bob writes, carol only reads (`web.ypeer.community`)."""

    api: ApiClient
    site: str
    alice: Member
    bob: Member
    carol: Member
    id: str

    def document(self, doc: str) -> dict[str, Any]:
        found = self.api.http.get(f"/api/v1/spaces/{self.id}/docs/{doc}", headers=self.alice.auth)
        assert found.status_code == 200, found.text
        body: dict[str, Any] = found.json()
        return body


@pytest.fixture
def space(site: str) -> Iterator[Space]:
    with httpx.Client(base_url=site, timeout=WAIT_SECONDS) as http:
        # ApiClient only needs .get/.post of an httpx client, which a TestClient is too.
        api = ApiClient(cast("TestClient", http))
        alice, bob, carol, space_id, _doc = community(api)
        yield Space(api, site, alice, bob, carol, space_id)


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Two browser contexts (two people, each with their own cookies)."""
    opened = [browser.new_context(), browser.new_context()]
    for context in opened:
        context.set_default_timeout(TIMEOUT_MS)
    yield opened
    for context in opened:
        context.close()


@pytest.fixture
def page(contexts: list[BrowserContext]) -> Page:
    return contexts[0].new_page()


def start_document(page: Page, space: Space, title: str) -> str:
    """Start a document from the documents page's form, as the logged-in member; its id."""
    page.goto(f"{space.site}/spaces/{space.id}/docs")
    form = page.locator("#new-doc form")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Project").select_option("")
    form.get_by_role("button", name="Start document").click()
    expect(page).to_have_url(DOC_URL)
    return page.url.rsplit("/", 1)[1]


def shared_text(page: Page) -> str:
    """The text of the page's Yjs document (what the editor is bound to)."""
    text: str = page.evaluate("() => window.p2pvalueEditor.ydoc.getText('content').toString()")
    return text


def test_a_document_from_the_form_is_edited_with_a_node_client_and_snapshotted(
    page: Page, space: Space
) -> None:
    log_in(page, space.site, "alice")
    doc = start_document(page, space, "Assembly guide")
    expect(page.locator("h1")).to_have_text("Assembly guide")
    expect(page.locator("#doc-status")).to_have_text("synced")
    expect(page.locator("#snapshots li")).to_have_text(re.compile("None yet"))

    with YClient(space.site, doc, space.bob.token, "bob") as bob:
        bob.wait_synced()
        page.locator(".cm-content").click()
        page.keyboard.type("Oil the ways first.")
        bob.wait_text("Oil the ways first.")

        bob.insert(len("Oil the ways first."), " Then level the bed.")
        done = "Oil the ways first. Then level the bed."
        expect(page.locator(".cm-content")).to_contain_text(done)
        assert shared_text(page) == done
        assert space.document(doc)["text"] == done
        # Her cursor moved with the edit: bob hears of her too.
        bob.wait_users("alice", "bob")

        page.get_by_role("button", name="Snapshot now").click()
        expect(page).to_have_url(DOC_URL)
        snapshots = page.locator("#snapshots li")
        expect(snapshots).to_have_count(1)
        expect(snapshots).to_contain_text("signed by alice")
        expect(snapshots).to_contain_text(f"{len(done)} units")
        expect(page.locator("#authors")).to_contain_text("alice")
        expect(page.locator("#authors")).to_contain_text("bob")
        assert bob.quit() == 0

    document = space.document(doc)
    assert document["snapshots"] == 1
    assert document["latest_snapshot"]["author"] == space.alice.did
    assert document["latest_snapshot"]["authors"] == {space.alice.did: 19, space.bob.did: 20}


def test_the_people_list_shows_who_is_here(page: Page, space: Space) -> None:
    log_in(page, space.site, "alice")
    doc = start_document(page, space, "Roster")
    expect(page.locator("#doc-status")).to_have_text("synced")
    people = page.locator("#doc-people li")
    expect(people).to_have_text(["alice"])
    with YClient(space.site, doc, space.bob.token, "bob") as bob:
        bob.wait_synced()
        expect(people).to_have_count(2)
        expect(page.locator("#doc-people")).to_contain_text("alice")
        expect(page.locator("#doc-people")).to_contain_text("bob")
        assert bob.quit() == 0
    expect(people).to_have_text(["alice"])


def test_a_readers_page_follows_the_document_but_cannot_edit_it(
    contexts: list[BrowserContext], page: Page, space: Space
) -> None:
    log_in(page, space.site, "alice")
    doc = start_document(page, space, "Minutes")
    expect(page.locator("#doc-status")).to_have_text("synced")
    page.locator(".cm-content").click()
    page.keyboard.type("Agreed: open on Sundays.")
    expect(page.locator(".cm-content")).to_contain_text("Agreed: open on Sundays.")

    reader = contexts[1].new_page()
    log_in(reader, space.site, "carol")
    reader.goto(f"{space.site}/spaces/{space.id}/docs/{doc}")
    expect(reader.locator("#doc-status")).to_have_text("read-only")
    editor = reader.locator(".cm-content")
    expect(editor).to_have_attribute("contenteditable", "false")
    expect(editor).to_contain_text("Agreed: open on Sundays.")
    expect(reader.locator("#editor")).to_contain_text("your role may read this document")

    page.keyboard.type(" And Mondays.")  # alice goes on; carol follows live
    expect(editor).to_contain_text("Agreed: open on Sundays. And Mondays.")
    editor.click()
    reader.keyboard.press("End")
    reader.keyboard.type("vandalised")
    reader.keyboard.press("Backspace")
    assert shared_text(reader) == "Agreed: open on Sundays. And Mondays."
    expect(reader.locator("#doc-status")).to_have_text("read-only")
    assert space.document(doc)["text"] == "Agreed: open on Sundays. And Mondays."

    # Past the editor, straight into the Yjs document: the node refuses and closes.
    reader.evaluate("() => window.p2pvalueEditor.ydoc.getText('content').insert(0, 'x')")
    expect(reader.locator("#doc-status")).to_have_text("closed: read_only")
    assert space.document(doc)["text"] == "Agreed: open on Sundays. And Mondays."
    assert shared_text(page) == "Agreed: open on Sundays. And Mondays."


def test_a_non_member_gets_a_403_page_without_the_editor(page: Page, space: Space) -> None:
    created = space.api.http.post(
        f"/api/v1/spaces/{space.id}/docs", json={"title": "Internal"}, headers=space.alice.auth
    )
    assert created.status_code == 201, created.text
    doc = created.json()["id"]
    space.api.sign_up("mallory")
    log_in(page, space.site, "mallory")
    response = page.goto(f"{space.site}/spaces/{space.id}/docs/{doc}")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("only members of the space")
    expect(page.locator("#editor")).to_have_count(0)
    expect(page.locator(".cm-editor")).to_have_count(0)
    expect(page.locator('script[src="/static/editor.js"]')).to_have_count(0)
    expect(page.locator("#snapshot-now")).to_have_count(0)


def test_a_title_with_markup_is_shown_as_text(page: Page, space: Space) -> None:
    dialogs: list[str] = []

    def seen(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    title = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    log_in(page, space.site, "alice")
    start_document(page, space, title)
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("#doc-status")).to_have_text("synced")
    assert page.title().startswith(title)
    assert page.locator("h1 img, h1 script, [onerror]").count() == 0
    page.goto(f"{space.site}/spaces/{space.id}/docs")  # resolves after the load event
    expect(page.locator("#documents")).to_contain_text(title)
    assert page.locator("#documents img, #documents script, [onerror]").count() == 0
    assert dialogs == []
