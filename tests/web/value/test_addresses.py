"""Claiming imported work by proving an address: the node mails a signed link through a real
SMTP server (aiosmtpd), the test reads the mail and follows the link, through the API and
through the pages (without JavaScript); expired, used, forged and misdirected links are
refused with their codes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clock import MovableClock, advance
from conftest import LIGHT_HASHING
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import email_alias
from p2pvalue.accounts import Account
from p2pvalue.config import init_data_dir
from p2pvalue.governance.templates import default_charter
from p2pvalue.importers.contributions import Work, importer_of, record
from p2pvalue.mail import MailSettings
from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from smtp_server import Received, smtp_server
from web.client import ApiClient

PASSWORD = "correct horse battery"
OLD = "Bob.Old@Example.org"
ALIAS = email_alias(OLD)
HOUR_MS = 3600 * 1000


@pytest.fixture
def mailing_node(tmp_path: Path, database_url: str | None) -> Iterator[tuple[Node, Received]]:
    """A node that sends mail to a real SMTP server on this machine."""
    with smtp_server() as (port, received):
        config = init_data_dir(tmp_path / "node", database_url)
        settings = MailSettings("127.0.0.1", "Commons <node@example.org>", port, "none")
        config = replace(config, mail=settings, site_url="https://commons.example")
        with Node(config, password_hasher=LIGHT_HASHING, clock=MovableClock()) as node:
            yield node, received


def community(node: Node) -> tuple[str, Account, Account, Account]:
    """Alice (admin, timekeeper), Bob and Carol; Bob's old address wrote imported work
    and was allotted part of a payout, held for whoever proves the address."""
    alice, bob, carol = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob", "carol"))
    charter = default_charter("open")
    charter["value"]["imports"] = {"accept": True}
    space = str(node.create_space(alice, "Commons", charter=charter).id)
    for member in (bob, carol):
        assert node.act(member, space, "member.join", {}).status == "accepted"
    work = Work("git:" + "a" * 40, "commit", "Port the firmware", 1_600_000_000_000,
                (OLD.lower(),), "git", names=("Bob Old",))  # fmt: skip
    assert record(node.wiring, space, importer_of(node.wiring, space), [work]).imported == 1
    income = {"amount": 5_000, "currency": "EUR", "source": "grant"}
    assert node.act(alice, space, "income.record", income).status == "accepted"
    assert node.service(Value).pay_out(alice, space, "EUR", 5_000).status == "accepted"
    return space, alice, bob, carol


def link_in(received: Received, to: str) -> str:
    """The token of the link in the last mail sent to `to`."""
    assert received.recipients[-1] == [to]
    found = re.search(
        r"https://commons\.example/addresses/claim\?token=(\S+)", received.texts()[-1]
    )
    assert found, received.texts()[-1]
    return found.group(1)


def session(client: TestClient, name: str) -> dict[str, str]:
    made = client.post("/api/v1/sessions", json={"username": name, "password": PASSWORD})
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}


def test_a_mailed_link_hands_the_address_history_and_held_payout_to_the_member(
    mailing_node: tuple[Node, Received],
) -> None:
    node, received = mailing_node
    space, alice, bob, _ = community(node)
    assert node.service(Value).ledger(space).held("EUR") == {ALIAS: 5_000}
    with TestClient(create_app(node)) as client:
        as_bob, as_carol = session(client, "bob"), session(client, "carol")
        asked = client.post(f"/api/v1/spaces/{space}/addresses", json={"email": OLD},
                            headers=as_bob)  # fmt: skip
        assert (asked.status_code, asked.json()) == (202, {"sent": True, "valid_hours": 48})
        token = link_in(received, OLD)
        assert "Commons" in received.messages[-1]["Subject"]
        assert OLD.lower() not in token and ALIAS not in token  # the link names no address

        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        for who, sent, status, code in [
            (as_bob, forged, 400, "forged_link"), (as_bob, "nonsense", 400, "forged_link"),
            (as_carol, token, 403, "wrong_account"),
        ]:  # fmt: skip
            refused = client.post("/api/v1/addresses/claim", json={"token": sent}, headers=who)
            assert (refused.status_code, refused.json()["error"]["code"]) == (status, code)
        assert node.service(Value).ledger(space).aliases == {}

        followed = client.post("/api/v1/addresses/claim", json={"token": token}, headers=as_bob)
        assert followed.status_code == 200, followed.text
        assert followed.json() == {"member": bob.did, "claims": 1, "paid": {"EUR": 5_000}}
        again = client.post("/api/v1/addresses/claim", json={"token": token}, headers=as_bob)
        assert (again.status_code, again.json()["error"]["code"]) == (410, "link_used")
        log = ApiClient(client).log(space)
        mine = client.post(f"/api/v1/spaces/{space}/addresses", json={"email": OLD},
                           headers=as_bob)  # fmt: skip
        assert (mine.status_code, mine.json()["error"]["code"]) == (409, "address_already_yours")

    ledger = node.service(Value).ledger(space)
    assert ledger.aliases == {ALIAS: bob.did} and ledger.held("EUR") == {}
    assert ledger.member_values()[bob.did] == 1
    said = [(e["type"], e["author"], e["content"]) for e in log if e["type"].startswith("alias.")]
    assert said == [
        ("alias.claim", bob.did, {"alias": ALIAS}),
        ("alias.confirm", alice.did, {"member": bob.did, "alias": ALIAS, "proof": "email"}),
    ]


def test_an_expired_link_and_bad_requests_are_refused_with_their_codes(
    mailing_node: tuple[Node, Received],
) -> None:
    node, received = mailing_node
    space, _, _, _ = community(node)
    with TestClient(create_app(node)) as client:
        as_bob = session(client, "bob")
        ask = f"/api/v1/spaces/{space}/addresses"
        bad = client.post(ask, json={"email": "not an address"}, headers=as_bob)
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_email")
        assert received.messages == []
        assert client.post(ask, json={"email": OLD}, headers=as_bob).status_code == 202
        token = link_in(received, OLD)
        advance(node, 49 * HOUR_MS)
        late = client.post("/api/v1/addresses/claim", json={"token": token}, headers=as_bob)
        assert (late.status_code, late.json()["error"]["code"]) == (410, "link_expired")
        assert node.service(Value).ledger(space).aliases == {}


def test_unclaimed_contributors_are_shown_by_name_with_what_is_held_for_them(
    mailing_node: tuple[Node, Received],
) -> None:
    node, _ = mailing_node
    space, alice, _, _ = community(node)
    income = {"amount": 1_000, "currency": "EUR", "source": "donation"}
    assert node.act(alice, space, "income.record", income).status == "accepted"
    with TestClient(create_app(node)) as client:
        listed = client.get(f"/api/v1/spaces/{space}/unclaimed").json()
        assert listed == {
            "unclaimed": [{"alias": ALIAS, "label": "Bob Old", "claims": 1,
                           "value": {"num": 1, "den": 1, "approx": 1.0}, "held": {"EUR": 5_000}}],
            "held": {"EUR": 5_000},
        }  # fmt: skip
        preview = client.post(f"/api/v1/spaces/{space}/payouts/preview",
                              json={"currency": "EUR", "budget": 1_000})  # fmt: skip
        assert preview.json()["unclaimed"] == {ALIAS: "Bob Old"}
        assert preview.json()["amounts"] == {ALIAS: 1_000}
        page = client.get(f"/spaces/{space}/value").text
        assert "Waiting to be claimed" in page and "Bob Old" in page and "50.00 EUR" in page
        assert "email-sha256" not in page and OLD.lower() not in page
        told = client.get(f"/spaces/{space}").text
        assert "Bob Old (not yet claimed) from git — 1 unit of commit" in told
        assert "email-sha256" not in told, told[told.find("email-sha256") - 300 :][:500]
        payout = client.get(f"/spaces/{space}/value/payout?amount=10&currency=EUR").text
        assert "Bob Old" in payout and "not yet claimed" in payout
        assert payout.count("email-sha256") == payout.count('data-member="email-sha256')  # unseen


def test_the_link_page_asks_to_log_in_and_refuses_another_member(
    mailing_node: tuple[Node, Received],
) -> None:
    node, received = mailing_node
    space, _, _, _ = community(node)
    with TestClient(create_app(node)) as client:
        asked = client.post(f"/api/v1/spaces/{space}/addresses", json={"email": OLD},
                            headers=session(client, "bob"))  # fmt: skip
        assert asked.status_code == 202
        link = f"/addresses/claim?token={link_in(received, OLD)}"
        anonymous = client.get(link)
        assert anonymous.status_code == 200 and 'id="link-login"' in anonymous.text
        assert 'id="link-form"' not in anonymous.text
        login = {"username": "carol", "password": PASSWORD, "next": "/"}
        assert client.post("/login", data=login, follow_redirects=False).status_code == 303
        other = client.get(link)
        assert other.status_code == 403 and 'data-code="wrong_account"' in other.text
        form = client.post("/addresses/claim", data={"token": link.partition("=")[2]})
        assert form.status_code == 403 and "log in as them" in form.text
    assert node.service(Value).ledger(space).aliases == {}
