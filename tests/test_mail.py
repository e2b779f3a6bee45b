"""The Mailer against a real SMTP server (aiosmtpd): a message with its text and HTML
parts and headers; a refusal for now, a refusal for good, a server that cannot be reached
and one that offers no STARTTLS each raise MailNotSent; bad settings are refused."""

from __future__ import annotations

from typing import Any

import pytest
from aiosmtpd.controller import Controller

from p2pvalue.errors import P2PError
from p2pvalue.mail import Mailer, MailNotSent, MailSettings, is_address
from smtp_server import free_port, smtp_server


def _plain(port: int, security: str = "none") -> Mailer:
    return Mailer(MailSettings("127.0.0.1", "Node <node@example.org>", port, security))


def test_a_message_arrives_with_both_parts_and_its_headers() -> None:
    with smtp_server() as (port, received):
        _plain(port).send("ana@example.org", "Hello — ñ", "plain words", "<p>html words</p>",
                          {"List-Unsubscribe": "<https://node.example/stop>"})  # fmt: skip
    assert received.recipients == [["ana@example.org"]]
    mail = received.messages[0]
    assert (mail["Subject"], mail["To"]) == ("Hello — ñ", "ana@example.org")
    assert mail["List-Unsubscribe"] == "<https://node.example/stop>"
    assert [t.strip() for t in received.texts() + received.htmls()] == [
        "plain words", "<p>html words</p>"]  # fmt: skip


def test_a_refusal_for_now_is_retryable_and_one_for_good_is_permanent() -> None:
    with smtp_server() as (port, received):
        received.refuse_next = 1
        with pytest.raises(MailNotSent, match="451") as later:
            _plain(port).send("ana@example.org", "s", "t")
        assert not later.value.permanent
        _plain(port).send("ana@example.org", "s", "t")
        assert len(received.messages) == 1

    class Refuser:
        async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                              options: list[str]) -> str:  # fmt: skip
            return "550 5.1.1 No such mailbox"

    controller = Controller(Refuser(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with pytest.raises(MailNotSent, match="550") as never:
            _plain(controller.port).send("nobody@example.org", "s", "t")
        assert never.value.permanent
    finally:
        controller.stop()


def test_no_server_and_no_starttls_are_not_sent() -> None:
    with pytest.raises(MailNotSent, match="cannot reach"):
        _plain(free_port()).send("ana@example.org", "s", "t")
    with smtp_server() as (port, received):
        with pytest.raises(MailNotSent, match="STARTTLS"):
            _plain(port, "starttls").send("ana@example.org", "s", "t")
        assert received.messages == []


def test_settings_and_addresses_are_checked() -> None:
    given = {"host": "smtp.example.org", "from": "node@example.org"}
    assert MailSettings.of({**given, "security": "ssl"}).port == 465
    assert MailSettings.of(given) == MailSettings("smtp.example.org", "node@example.org", 587)
    for bad in ({"security": "tls"}, {"port": 0}, {"from": "node"}, {"host": ""}):
        with pytest.raises(P2PError, match=r"^bad_config:"):
            MailSettings.of({**given, **bad})
    assert [is_address(a) for a in ("ana@example.org", "ana@home", "a b@x.org", "@x.org")] == [
        True, False, False, False]  # fmt: skip
