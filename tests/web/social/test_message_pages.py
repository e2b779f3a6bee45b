"""The message pages over HTTP: a message written in a form is stored sealed twice (to its
recipient and to its sender) and signed, each side reads it opened with their own key, the
recipient sees it unread until they open the conversation, and refusals are shown next to
their field with what was typed kept."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from html import unescape

import pytest
from sqlalchemy import select

from p2pvalue.events.canonical import b64u, unb64u
from p2pvalue.events.keys import verify
from p2pvalue.node import Node
from p2pvalue.social.messages import open_sealed, seal, sign_message, signed_bytes
from p2pvalue.store.schema import messages
from p2pvalue.web.app import create_app
from web.client import PASSWORD, ApiClient, Member
from web.social.test_messages import _dump

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

SECRET = "the spare key is under the third flowerpot"


@pytest.fixture
def browsing(node: Node) -> Iterator[tuple[ApiClient, TestClient]]:
    """An API client, and a second client for the pages, logged in by cookie as they go."""
    app = create_app(node)
    with TestClient(app) as http, TestClient(app) as pages:
        yield ApiClient(http), pages


def _log_in(pages: TestClient, member: Member) -> None:
    pages.cookies.clear()
    answer = pages.post("/login", data={"username": member.username, "password": PASSWORD})
    assert answer.status_code in (200, 303), answer.text


def test_a_message_written_on_the_pages_is_sealed_signed_and_read_by_both(
    browsing: tuple[ApiClient, TestClient], node: Node
) -> None:
    api, pages = browsing
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    _log_in(pages, ana)
    sent = pages.post("/messages", data={"to": "Ben", "text": SECRET}, follow_redirects=False)
    assert (sent.status_code, sent.headers["location"]) == (303, "/messages/ben")
    assert SECRET in pages.get("/messages/ben").text

    with node.engine.begin() as conn:
        row = conn.execute(select(messages)).one()
    assert SECRET.encode() not in _dump(node)
    assert open_sealed(api.key_of(ben), bytes(row.ciphertext)).decode() == SECRET
    assert open_sealed(api.key_of(ana), bytes(row.sender_copy)).decode() == SECRET
    assert verify(ana.did, signed_bytes(ben.did, bytes(row.ciphertext)), bytes(row.signature))

    _log_in(pages, ben)
    overview = pages.get("/messages").text
    assert "1 new" in overview and SECRET in overview
    assert SECRET in pages.get("/messages/ana").text
    assert "new</span>" not in pages.get("/messages").text
    answered = pages.post("/messages/ana", data={"text": "thanks!"}, follow_redirects=False)
    assert answered.status_code == 303
    _log_in(pages, ana)
    assert "1 new" in pages.get("/messages").text and "thanks!" in pages.get("/messages").text


def test_refusals_are_shown_by_their_field_with_the_text_kept(
    browsing: tuple[ApiClient, TestClient], node: Node
) -> None:
    api, pages = browsing
    ana = api.sign_up("ana")
    api.sign_up("ben")
    _log_in(pages, ana)
    cases = [
        ({"to": "nobody", "text": SECRET}, "to-error", "No one on this node has the username"),
        ({"to": "ana", "text": SECRET}, "to-error", "You can't send a message to yourself."),
        ({"to": "ben", "text": "   "}, "text-error", "Write something to send."),
        ({"to": "ben", "text": "x" * 5001}, "text-error", "at most 5,000 characters"),
    ]
    for form, field, said in cases:
        refused = pages.post("/messages", data=form)
        assert refused.status_code == 422, form
        error = unescape(refused.text.split(f'id="{field}">', 1)[1].split("</p>", 1)[0])
        assert said in error, (form, error)
        assert form["text"][:100] in refused.text and f'value="{form["to"]}"' in refused.text
    too_long = pages.post("/messages/ben", data={"text": "y" * 5001})
    assert too_long.status_code == 422 and "y" * 5001 in too_long.text
    assert pages.get("/messages/nobody").status_code == 404
    with node.engine.begin() as conn:
        assert conn.execute(select(messages)).all() == []


def test_a_message_sent_without_a_copy_for_its_sender_says_so(
    browsing: tuple[ApiClient, TestClient],
) -> None:
    api, pages = browsing
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    sealed = seal(ben.did, SECRET.encode())
    body = {"to": ben.did, "ciphertext": b64u(sealed),
            "signature": sign_message(api.key_of(ana), ben.did, sealed)}  # fmt: skip
    assert api.http.post("/api/v1/messages", json=body, headers=ana.auth).status_code == 201
    _log_in(pages, ana)
    page = pages.get("/messages/ben").text
    assert SECRET not in page and "A sealed message only ben can read" in page
    _log_in(pages, ben)
    assert SECRET in pages.get("/messages/ana").text
    mine = api.http.get("/api/v1/me/messages", headers=ben.auth).json()["messages"][0]
    assert open_sealed(api.key_of(ben), unb64u(mine["ciphertext"])).decode() == SECRET
