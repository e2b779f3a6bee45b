"""Notification mail through a real SMTP server (aiosmtpd) on a real node, SQLite and
PostgreSQL: who gets what, digests gathering a day's notifications into one mail, "never"
respected, a retry after the server refused once, and nothing sent twice after a restart
or a stop mid-send."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from clock import advance
from p2pvalue.accounts import Account
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.mail import Mailer, MailSettings
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.social.mail_courier import MailCourier
from p2pvalue.social.mailing import NEVER
from p2pvalue.social.notifications import KINDS
from p2pvalue.store import notices
from smtp_server import Received, smtp_server

PASSWORD = "correct horse battery"
DAY_MS = 24 * 3600 * 1000


@pytest.fixture
def smtp() -> Iterator[tuple[int, Received]]:
    with smtp_server() as running:
        yield running


def _courier(node: Node, port: int) -> MailCourier:
    settings = MailSettings("127.0.0.1", "Guild node <node@example.org>", port, "none")
    mailing = node.service(Social).mailing
    return MailCourier(node.wiring, mailing, Mailer(settings), backoff=lambda attempts: 0)


def _round(courier: MailCourier) -> int:
    """One round of the courier's work: notice, make digests, send what is due."""
    courier.notice()
    return asyncio.run(courier.deliver_due())


def _community(node: Node) -> tuple[str, list[Account]]:
    people = [node.accounts.register(n, PASSWORD) for n in ("ann", "ben", "cat")]
    space = str(node.create_space(people[0], "Guild", charter=default_charter("open")).id)
    for person in people[1:]:
        assert node.act(person, space, "member.join", {}).status == "accepted"
    return space, people


def _act(node: Node, who: Account, space: str, type: str, content: dict[str, Any]) -> str:
    outcome = node.act(who, space, type, content)
    assert outcome.status == "accepted", outcome
    return str(outcome.id)


def _mention(node: Node, ann: Account, space: str, title: str, text: str) -> str:
    asking = {"on": {"kind": "space"}, "title": title, "text": text}
    return _act(node, ann, space, "thread.create", asking)


def test_a_mention_is_mailed_at_once_and_never_is_respected(
    node: Node, smtp: tuple[int, Received]
) -> None:
    port, received = smtp
    space, (ann, ben, cat) = _community(node)
    mailing = node.service(Social).mailing
    assert mailing.save(ben.did, "ben@example.org", {}) == {}
    assert mailing.save(cat.did, "cat@example.org", {k: NEVER for k in KINDS}) == {}
    _mention(node, ann, space, "Lathe", "@ben and @cat, can you help?")
    courier = _courier(node, port)

    assert _round(courier) == 1

    assert received.recipients == [["ben@example.org"]]
    mail = received.messages[0]
    assert mail["Subject"] == "ann mentioned you in “Lathe” in Guild."
    assert mail["From"] == "Guild node <node@example.org>"
    text, html = received.texts()[0], received.htmls()[0]
    assert f"http://127.0.0.1:8000/spaces/{space}/threads/" in text
    assert "ann mentioned you in “Lathe” in Guild." in html
    token = notices_token(node, ben.did)
    assert f"/notifications/unsubscribe?token={token}" in text
    assert (
        mail["List-Unsubscribe"]
        == f"<http://127.0.0.1:8000/notifications/unsubscribe?token={token}>"
    )
    assert _round(courier) == 0  # derived again, noticed once: not mailed again
    assert len(received.messages) == 1


def notices_token(node: Node, did: str) -> str:
    with node.engine.connect() as conn:
        settings = notices.settings(conn, did)
    assert settings is not None
    return settings.token


def test_a_daily_digest_gathers_the_day_into_one_mail(
    node: Node, smtp: tuple[int, Received]
) -> None:
    port, received = smtp
    space, (ann, ben, _) = _community(node)
    assert node.service(Social).mailing.save(ben.did, "ben@example.org", {"mention": "daily"}) == {}
    courier = _courier(node, port)
    _mention(node, ann, space, "Lathe", "@ben can you help?")
    task = _act(node, ann, space, "task.create", {"title": "Oil the lathe", "labels": []})
    _act(node, ann, space, "task.assign", {"task": task, "assignees": [ben.did]})
    node.service(Governance).propose(ann, space, {"title": "Rename", "action": {"type": "text"}})

    assert _round(courier) == 0  # the day is not over: nothing yet
    advance(node, DAY_MS + 1)
    assert _round(courier) == 1

    assert received.recipients == [["ben@example.org"]]
    assert received.messages[0]["Subject"] == "3 things for you today on p2pvalue"
    text = received.texts()[0]
    assert "ann mentioned you in “Lathe” in Guild." in text
    assert "“Oil the lathe” in Guild is assigned to you." in text
    assert "“Rename” is open for your vote in Guild." in text
    advance(node, DAY_MS + 1)
    assert _round(courier) == 0  # nothing new in the next day: no empty digest


def test_a_refused_mail_is_sent_again_and_once(node: Node, smtp: tuple[int, Received]) -> None:
    port, received = smtp
    space, (ann, ben, _) = _community(node)
    assert node.service(Social).mailing.save(ben.did, "ben@example.org", {}) == {}
    _mention(node, ann, space, "Lathe", "@ben can you help?")
    received.refuse_next = 1
    courier = _courier(node, port)

    assert _round(courier) == 0
    with node.engine.connect() as conn:
        (mail,) = notices.mails(conn, ben.did)
    assert (mail.state, mail.attempts, received.refused) == ("queued", 1, 1)
    assert _round(courier) == 1
    assert _round(courier) == 0
    assert len(received.messages) == 1
    with node.engine.connect() as conn:
        assert [m.state for m in notices.mails(conn, ben.did)] == ["sent"]


def test_nothing_is_sent_twice_after_a_restart_or_a_stop_mid_send(
    node: Node, smtp: tuple[int, Received]
) -> None:
    port, received = smtp
    space, (ann, ben, _) = _community(node)
    assert node.service(Social).mailing.save(ben.did, "ben@example.org", {}) == {}
    _mention(node, ann, space, "Lathe", "@ben can you help?")
    assert _round(_courier(node, port)) == 1

    _mention(node, ann, space, "Saw", "@ben and the saw?")
    stopped = _courier(node, port)
    stopped.notice()
    with node.engine.begin() as conn:
        (waiting,) = notices.due(conn, node.clock(), 10)
        assert notices.take(conn, waiting.id)  # the node stops before the server answers

    restarted = _courier(node, port)
    assert restarted.recover() == [waiting.id]
    assert _round(restarted) == 0

    assert len(received.messages) == 1
    with node.engine.connect() as conn:
        assert [m.state for m in notices.mails(conn, ben.did)] == ["sent", "uncertain"]


def test_mail_says_nothing_of_a_private_space(node: Node, smtp: tuple[int, Received]) -> None:
    port, received = smtp
    ann, ben = (node.accounts.register(n, PASSWORD) for n in ("ann", "ben"))
    space = str(node.create_space(ann, "Secret lab", membership="invite", private=True).id)
    _act(node, ann, space, "member.invite", {"member": ben.did})
    _act(node, ben, space, "member.join", {})
    assert node.service(Social).mailing.save(ben.did, "ben@example.org", {}) == {}
    _mention(node, ann, space, "Plans for the heist", "@ben look")

    assert _round(_courier(node, port)) == 1

    mail, text = received.messages[0], received.texts()[0] + received.htmls()[0]
    assert mail["Subject"] == "Someone mentioned you in a private space."
    assert not any(word in text for word in ("heist", "Secret lab", "ann"))
