"""Journeys: what a member does on the pages, end to end, in chromium at a desktop and a phone
size. Every journey checks each page it lands on with `looked_at`: nothing scrolls sideways,
and axe-core finds no serious or critical accessibility violation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / "editor" / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# Where `P2PVALUE_SCREENSHOTS=docs/screenshots pytest tests/web/journeys` keeps the pictures
# of each journey's key pages that the README shows.
SCREENSHOTS = os.environ.get("P2PVALUE_SCREENSHOTS")
SERIOUS = ("serious", "critical")
TIMEOUT_MS = 15_000


@pytest.fixture(params=list(SCREENS))
def screen(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser: Browser, screen: str) -> Iterator[Page]:
    """A fresh browser context at the screen's size, in a time zone other than the server's."""
    context = browser.new_context(
        viewport=SCREENS[screen],  # type: ignore[arg-type]
        timezone_id="America/Bogota",
        locale="en-US",
        # axe is injected into each page; the node's own script policy would refuse it.
        bypass_csp=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def looked_at(page: Page) -> None:
    """The page as it stands fits its screen and axe finds nothing serious on it."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} is {width} px wide on a {viewport} px screen"
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in editor/")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in SERIOUS
    ]
    assert not serious, f"axe on {page.url}:\n" + "\n".join(serious)


def shoot(page: Page, screen: str, name: str) -> None:
    """Keep a picture of the page for docs/ when P2PVALUE_SCREENSHOTS names a folder."""
    if SCREENSHOTS:
        folder = Path(SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}-{screen}.png"), full_page=True)
