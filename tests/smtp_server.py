"""A real SMTP server for tests (aiosmtpd) on a free loopback port: it keeps every message
it accepted, and can be told to refuse the next ones for now (451)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller


@dataclass
class Received:
    """What the server accepted, and how many messages it is to refuse next."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse_next: int = 0
    refused: int = 0

    def texts(self) -> list[str]:
        """The plain-text part of each message."""
        return [cast(EmailMessage, m.get_body(("plain",))).get_content() for m in self.messages]

    def htmls(self) -> list[str]:
        return [cast(EmailMessage, m.get_body(("html",))).get_content() for m in self.messages]


class Keeper:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.received.refuse_next:
            self.received.refuse_next -= 1
            self.received.refused += 1
            return "451 4.3.0 Try again later"
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.received.messages.append(parsed)
        self.received.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[int, Received]]:
    """A running SMTP server: its port and what it received."""
    received = Received()
    controller = Controller(Keeper(received), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, received
    finally:
        controller.stop()
