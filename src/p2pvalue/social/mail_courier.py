"""Sending the notification mail in the outbox through the node's SMTP server, while its web
app runs. Every `notice_every` seconds it notices new notifications and makes the digests
that are due (`Mailing`); every second it sends what is due. The row is the state:

    queued --taken (committed first)--> sending --the server accepted it--> sent
    sending --the server refused it for now, or could not be reached--> queued, after a backoff
    sending --refused for good (5xx), or MAX_ATTEMPTS failures--> failed
    sending --the connection broke while the server was taking it--> uncertain
    sending, found at start (the node stopped mid-send) --> uncertain

A mail is sent at most once: `uncertain` is never sent again, because a second copy
cannot be taken back and a lost one is still on the notifications page (docs/notifications.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING

from anyio import to_thread

from p2pvalue import queues
from p2pvalue.mail import Mailer, MailNotSent, MailUncertain
from p2pvalue.social import mail_text
from p2pvalue.social.mailing import Mailing
from p2pvalue.store import notices as store
from p2pvalue.store.database import writing

if TYPE_CHECKING:
    from p2pvalue.domain import Wiring

LOG = logging.getLogger(__name__)
DUE_AT_ONCE = 100
MAX_ATTEMPTS = 20  # doubling to an hour apart: most of a day of trying
MAX_BACKOFF_S = 3600
NOTICE_EVERY = 30.0


def backoff_ms(attempts: int) -> int:
    return queues.backoff_ms(attempts, MAX_BACKOFF_S)


def headers_of(mail: store.Mail, base: str) -> dict[str, str]:
    """One-click unsubscribe (RFC 8058), and a mark that a person did not write it."""
    url = mail_text.unsubscribe_url(base, mail.token)
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated"}  # fmt: skip


class MailCourier:
    """Notices, digests and sends notification mail: `run()` until cancelled."""

    def __init__(
        self, wiring: Wiring, mailing: Mailing, mailer: Mailer, *,
        notice_every: float = NOTICE_EVERY, backoff: Callable[[int], int] = backoff_ms,
    ) -> None:  # fmt: skip
        self.wiring, self.mailing, self.mailer = wiring, mailing, mailer
        self.notice_every = notice_every
        self.backoff = backoff
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Recover from a stop mid-send, then notice and send, round after round."""
        await to_thread.run_sync(self.recover)
        noticing = asyncio.create_task(self._keep_noticing())
        try:
            await queues.work_when_woken(self._wake, self.deliver_due, "sending mail")
        finally:
            noticing.cancel()
            with suppress(asyncio.CancelledError):
                await noticing

    async def _keep_noticing(self) -> None:
        while True:
            try:
                if await to_thread.run_sync(self.notice):
                    self._wake.set()
            except Exception:
                LOG.exception("noticing notifications for mail failed; trying again")
            await asyncio.sleep(self.notice_every)

    def recover(self) -> list[int]:
        """Mark mail a stopped sender left `sending` as uncertain; their ids."""
        with writing(self.wiring.engine) as conn:
            lost = store.abandoned(conn)
        for mail_id in lost:
            LOG.warning("mail %d may or may not have been sent: not sending it again", mail_id)
        return lost

    def notice(self) -> int:
        """Queue the mail new notifications and due digests call for; how many."""
        return self.mailing.notice() + self.mailing.digests()

    async def deliver_due(self) -> int:
        """Send every due mail, one at a time; how many were sent."""
        due = await to_thread.run_sync(self._due)
        sent = 0
        for mail in due:
            sent += await to_thread.run_sync(self.send, mail)
        return sent

    def _due(self) -> list[store.Mail]:
        with self.wiring.engine.connect() as conn:
            return store.due(conn, self.wiring.clock(), DUE_AT_ONCE)

    def send(self, mail: store.Mail) -> bool:
        """Take the mail, hand it to the SMTP server, record how it went; whether it went."""
        with writing(self.wiring.engine) as conn:
            if not store.take(conn, mail.id):
                return False  # another sender has it
        base = self.wiring.config.pages_url
        try:
            self.mailer.send(mail.address, mail.subject, mail.text, mail.html,
                             headers_of(mail, base))  # fmt: skip
        except MailNotSent as error:
            self._not_sent(mail, str(error), error.permanent)
            return False
        except MailUncertain as error:
            LOG.warning("mail %d may or may not have been sent: %s", mail.id, error)
            self._ended(mail, store.UNCERTAIN, str(error))
            return False
        self._ended(mail, store.SENT)
        return True

    def _not_sent(self, mail: store.Mail, reason: str, permanent: bool) -> None:
        attempts = mail.attempts + 1
        if permanent or attempts >= MAX_ATTEMPTS:
            LOG.warning("mail %d to %s failed: %s", mail.id, mail.address, reason)
            self._ended(mail, store.FAILED, reason)
            return
        LOG.info("mail %d not sent (%s); trying again later", mail.id, reason)
        self._ended(mail, store.QUEUED, reason, self.wiring.clock() + self.backoff(attempts))

    def _ended(
        self, mail: store.Mail, state: str, error: str | None = None, next_at: int | None = None
    ) -> None:
        with writing(self.wiring.engine) as conn:
            store.ended(conn, mail.id, state, self.wiring.clock(), error, next_at)
