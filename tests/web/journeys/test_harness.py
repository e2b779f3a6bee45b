"""The journey harness itself: it sees a page that scrolls sideways and a page axe objects to."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from web.journeys.conftest import looked_at


def test_the_home_page_is_looked_at_cleanly(page: Page, site: str) -> None:
    page.goto(f"{site}/")
    looked_at(page)


def test_a_wide_page_and_an_unlabelled_field_are_caught(page: Page, site: str) -> None:
    page.goto(f"{site}/")
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend',"
        " '<div style=\"width:2000px;height:2px\"></div>')"
    )
    with pytest.raises(AssertionError, match="px wide"):
        looked_at(page)
    page.goto(f"{site}/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"x.png\">')")
    with pytest.raises(AssertionError, match="image-alt"):
        looked_at(page)
