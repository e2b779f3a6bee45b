"""Security headers on every response, Secure cookies behind https, and pages that work in
a real browser under a Content-Security-Policy that runs no inline script."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from conftest import LIGHT_HASHING
from hostile.accounts_fixtures import chromium_fixture, http_api_fixture  # noqa: F401
from p2pvalue.config import init_data_dir
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from serving import loopback, served
from web.client import PASSWORD, ApiClient
from web.spaces.test_pages_browser import log_in, sign_up

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

JSON = {"content-type": "application/json"}
TEMPLATES = Path(__file__).parents[2] / "src/p2pvalue/web/templates"
EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def assert_secured(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (response.url, name)
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'", policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_every_kind_of_response_carries_the_security_headers(http_api: ApiClient) -> None:
    alice = http_api.sign_up("alice")
    space = http_api.create_space(alice)
    get, post = http_api.http.get, http_api.http.post
    answers = [
        get("/"), get("/login"), get(f"/spaces/{space}"), get("/api/v1/spaces"),
        get("/api/v1/spaces/nothing-here"), get("/static/vote.js"), get("/healthz"),
        get("/openapi.json"),
        post("/api/v1/spaces", content=b"{", headers={**alice.auth, **JSON}),
        post("/api/v1/spaces", json={"name": "\x00"}, headers=alice.auth),
        post("/api/v1/spaces", content=b"x" * (1024 * 1024 + 1), headers=alice.auth),
        post("/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False),
    ]  # fmt: skip
    assert {a.status_code for a in answers} == {200, 303, 400, 404, 413, 422}
    for answer in answers:
        assert_secured(answer)


def test_cookies_are_secure_when_the_node_is_served_over_https(tmp_path: Path) -> None:
    config = init_data_dir(tmp_path / "node", public_url="https://node.example")
    with Node(config, password_hasher=LIGHT_HASHING) as node, TestClient(create_app(node)) as http:
        node.accounts.register("alice", PASSWORD)
        login = http.post("/login", data={"username": "alice", "password": PASSWORD},
                          follow_redirects=False)  # fmt: skip
    cookie = login.headers["set-cookie"].lower()
    assert "; secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_cookies_over_plain_http_are_not_marked_secure(http_api: ApiClient) -> None:
    http_api.sign_up("alice")
    login = http_api.http.post("/login", data={"username": "alice", "password": PASSWORD},
                          follow_redirects=False)  # fmt: skip
    assert "secure" not in login.headers["set-cookie"].lower()


def test_no_template_holds_inline_script_or_event_handlers() -> None:
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert 'src="/static/' in tag, (template.name, tag)
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert "javascript:" not in text, template.name


@pytest.fixture
def watched(chromium: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A page, and every Content-Security-Policy violation or script error it reports."""
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.location.get("url", "").endswith("/favicon.ico"):
            return  # the browser asks for one of its own accord; the node has none
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page, problems
    context.close()


@pytest.mark.browser
def test_the_pages_and_their_scripts_work_under_the_policy(
    watched: tuple[Page, list[str]], sqlite_node: Node
) -> None:
    page, problems = watched
    with served(create_app(sqlite_node), loopback(), ws="websockets-sansio") as site:
        _drive(page, problems, site, sqlite_node)


def _drive(page: Page, problems: list[str], site: str, sqlite_node: Node) -> None:
    sign_up(page, site, "alice")
    alice = sqlite_node.accounts.by_username("alice")
    assert alice is not None
    charter = default_charter("open")
    charter["decisions"]["poll"] = {"method": "quadratic", "credits": 9, "window_hours": 1}
    space = sqlite_node.create_space(alice, "Seed Library", charter=charter).id
    assert space is not None
    options = [{"id": "seeds", "label": "Seeds"}, {"id": "tools", "label": "Tools"}]
    poll = {"title": "Spend", "kind": "poll", "action": {"type": "text"}, "options": options}
    proposal = sqlite_node.service(Governance).propose(alice, space, poll).id
    page.goto(f"{site}/spaces/{space}/proposals/{proposal}")
    boxes = page.locator("input.quadratic")
    boxes.nth(0).fill("2")
    boxes.nth(1).fill("-1")
    expect(page.locator("#credits-used")).to_have_text("5")  # the script from /static ran

    page.goto(f"{site}/spaces/{space}/docs")
    form = page.locator("#new-doc form")
    form.get_by_label("Title").fill("Field notes")
    form.get_by_role("button", name="Start document").click()
    expect(page.locator("#doc-status")).to_have_text("synced")  # the editor connected

    page.goto(f"{site}/account")
    expect(page.locator("#sessions tr[data-session]")).to_have_count(1)
    page.goto(f"{site}/")
    page.get_by_role("button", name="Log out").click()
    log_in(page, site, "alice")
    assert problems == []
    # The policy is in force: a handler planted in the page is refused, and reported.
    page.evaluate("document.body.setAttribute('onclick', 'window.ran = 1'); document.body.click()")
    assert page.evaluate("window.ran") is None
    assert any("Content Security Policy" in problem for problem in problems)
