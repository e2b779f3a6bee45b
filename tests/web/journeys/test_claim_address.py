"""Journey: a member claims the work a git import credited to their old e-mail address. They
ask on the pages, the node mails the address through a real SMTP server, they open the
link from the mail, confirm, and the work and the payout held for it are theirs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clock import MovableClock
from conftest import LIGHT_HASHING
from p2pvalue.accounting.service import Value
from p2pvalue.config import init_data_dir
from p2pvalue.mail import MailSettings
from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from serving import loopback, served
from smtp_server import Received, smtp_server
from web.journeys.conftest import looked_at, shoot
from web.journeys.people import log_in, zone_known
from web.value.test_addresses import ALIAS, OLD, community


@pytest.fixture
def mailing_site(tmp_path: Path) -> Iterator[tuple[str, Node, Received]]:
    """The node's pages served on a free port, its mail going to a real SMTP server."""
    with smtp_server() as (port, received):
        listener = loopback()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        settings = MailSettings("127.0.0.1", "Commons <node@example.org>", port, "none")
        config = replace(init_data_dir(tmp_path / "node"), mail=settings, site_url=url)
        node = Node(config, password_hasher=LIGHT_HASHING, clock=MovableClock())
        with node, served(create_app(node), listener, ws="websockets-sansio") as site:
            yield site, node, received


def test_a_member_claims_their_old_address_by_mail(
    page: Page, mailing_site: tuple[str, Node, Received], screen: str
) -> None:
    site, node, received = mailing_site
    space, _, bob, _ = community(node)
    zone_known(page, site)
    log_in(page, site, "bob")
    page.goto(f"{site}/spaces/{space}/value")
    expect(page.locator("#unclaimed")).to_contain_text("Bob Old")
    expect(page.locator("#unclaimed")).to_contain_text("50.00 EUR")
    looked_at(page)
    shoot(page, screen, "value-unclaimed")
    page.get_by_role(
        "link", name="Claim past contributions made under another e-mail address"
    ).click()
    looked_at(page)
    field = page.get_by_label("Your other e-mail address")
    field.fill("bob.old at example")
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.locator("#address-error")).to_have_text("this is not an e-mail address")
    expect(field).to_have_value("bob.old at example")
    looked_at(page)
    field.fill(OLD)
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.locator("#address-sent")).to_contain_text(OLD)
    shoot(page, screen, "claim-address")

    found = re.search(r"(http://\S+/addresses/claim\?token=\S+)", received.texts()[-1])
    assert found and received.recipients[-1] == [OLD]
    page.goto(found.group(1)[:-6] + "AAAAAA")
    expect(page.locator("#link-problem")).to_contain_text("not made by this node")
    looked_at(page)
    page.goto(found.group(1))
    looked_at(page)
    page.get_by_role("button", name="Claim them").click()
    expect(page.locator("#link-done")).to_contain_text("1 in all")
    expect(page.locator("#link-done")).to_contain_text("held for that address: 50.00 EUR")
    looked_at(page)
    shoot(page, screen, "claim-address-done")
    assert node.service(Value).ledger(space).aliases == {ALIAS: bob.did}
    page.goto(f"{site}/spaces/{space}/value")
    expect(page.locator("#unclaimed")).to_have_count(0)
    expect(page.locator("#values")).to_contain_text("bob")
