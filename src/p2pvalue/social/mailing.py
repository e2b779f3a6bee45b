"""Notifications by mail: each member's address and how often each kind reaches them, and
turning notifications into queued mail, exactly once per notification and member.

Notifications are derived, not stored; `notice` records each one the first time it is
seen for a member with an address (`mail_notes`, keyed by member and notification id, so
it is recorded once however often it is derived again), under the cadence the member
chose for its kind then. Notifications already there when a member first gives an address,
or already marked read, are recorded as never to be mailed. Then what waits is queued in
the mail outbox in the same transaction that marks it mailed: one mail per notification
for "immediately", one digest per member and period for "daily" and "weekly".
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from p2pvalue.domain import Wiring
from p2pvalue.mail import is_address
from p2pvalue.social import mail_text
from p2pvalue.social.notice_text import link, sentence
from p2pvalue.social.notifications import KINDS, Note, Notifications
from p2pvalue.store import notices as store
from p2pvalue.store.database import writing

IMMEDIATELY, DAILY, WEEKLY, NEVER = "immediately", "daily", "weekly", "never"
CADENCES = (IMMEDIATELY, DAILY, WEEKLY, NEVER)
PERIOD_MS = {DAILY: 24 * 3600 * 1000, WEEKLY: 7 * 24 * 3600 * 1000}
# Notifications recorded but never to be mailed: there before the address was given, or
# read on the page before they were noticed.
BEFORE, READ = "before", "read"
# What asks a member to act, or tells them of their own work and money, comes at once;
# the rest in the daily digest. A kind added later comes in the daily digest too.
DEFAULTS = {"mention": IMMEDIATELY, "review_requested": IMMEDIATELY,
            "review_received": IMMEDIATELY, "claim_decided": IMMEDIATELY,
            "payout": IMMEDIATELY, "vote_reminder": IMMEDIATELY}  # fmt: skip
MAX_ADDRESS = 254


@dataclass(frozen=True)
class MailChoice:
    """A member's mail settings as the preferences page shows them."""

    address: str
    cadences: dict[str, str]  # every kind -> its cadence


def cadence_of(preferences: dict[str, str], kind: str) -> str:
    return preferences.get(kind) or DEFAULTS.get(kind, DAILY)


def address_error(address: str) -> str | None:
    """Why `address` cannot be mailed, in a member's words; None if it can."""
    if len(address) > MAX_ADDRESS:
        return f"An e-mail address is at most {MAX_ADDRESS} characters."
    if not is_address(address):
        return (
            "This does not look like an e-mail address: it needs a name, an @ and a domain, "
            "like ana@example.org."
        )
    return None


class Mailing:
    """Each member's mail settings, and the notifications they are owed by mail."""

    def __init__(self, wiring: Wiring, notifications: Notifications) -> None:
        self.wiring = wiring
        self.notifications = notifications

    def choice(self, did: str) -> MailChoice:
        """The member's address ("" if none) and the cadence of every kind."""
        with self.wiring.engine.connect() as conn:
            settings = store.settings(conn, did)
        given = json.loads(settings.preferences) if settings else {}
        return MailChoice(settings.address if settings else "",
                          {kind: cadence_of(given, kind) for kind in KINDS})  # fmt: skip

    def save(self, did: str, address: str, cadences: dict[str, str]) -> dict[str, str]:
        """Keep the member's address and cadences (a kind left out or empty keeps its
        default); the problems, by field, if any (and then nothing is kept). An empty
        address stops all mail and forgets the address."""
        errors = {f"cadence_{k}": "Choose one of the four." for k, v in cadences.items()
                  if k not in KINDS or (v and v not in CADENCES)}  # fmt: skip
        address = address.strip()
        problem = address_error(address) if address else None
        if problem:
            errors["address"] = problem
        if errors:
            return errors
        with writing(self.wiring.engine) as conn:
            self._keep(conn, did, address, {k: cadences.get(k) or cadence_of({}, k) for k in KINDS})
        return {}

    def _keep(self, conn: Any, did: str, address: str, cadences: dict[str, str]) -> None:
        before, now = store.settings(conn, did), self.wiring.clock()
        if not address:
            store.erase_settings(conn, did)
            return
        token = before.token if before else secrets.token_urlsafe(32)
        daily, weekly = (before.daily_at, before.weekly_at) if before else (now, now)
        store.save_settings(conn, store.Settings(did, address, json.dumps(cadences), token,
                                                 daily, weekly))  # fmt: skip
        store.recadence(conn, did, cadences)
        if before is None:
            for note in self.notifications.every(did):
                store.notice(conn, did, self._noticed(note, BEFORE), now)

    def erase(self, did: str) -> int:
        """Forget the member's address, read marks and mail; how many records went."""
        with writing(self.wiring.engine) as conn:
            return store.erase(conn, did)

    def unsubscribe(self, token: str) -> bool:
        """Set every kind to never for the member whose link holds `token`; False if none."""
        with writing(self.wiring.engine) as conn:
            settings = store.settings_by_token(conn, token)
            if settings is None:
                return False
            cadences = {kind: NEVER for kind in KINDS}
            store.set_preferences(conn, settings.did, json.dumps(cadences))
            store.recadence(conn, settings.did, cadences)
        return True

    def notice(self) -> int:
        """Record each member's new notifications and queue what is due at once; how many
        mails were queued."""
        queued = 0
        with self.wiring.engine.connect() as conn:
            everyone = store.everyone(conn)
        for settings in everyone:
            notes = self.notifications.every(settings.did)
            with writing(self.wiring.engine) as conn:
                queued += self._notice(conn, settings, notes)
        return queued

    def _notice(self, conn: Any, settings: store.Settings, notes: list[Note]) -> int:
        now, preferences = self.wiring.clock(), json.loads(settings.preferences)
        for note in reversed(notes):  # oldest first
            cadence = READ if note["read"] else cadence_of(preferences, note["kind"])
            store.notice(conn, settings.did, self._noticed(note, cadence), now)
        queued = 0
        for waiting in store.waiting(conn, settings.did, IMMEDIATELY):
            line = mail_text.Line(waiting.sentence, waiting.link)
            mail = mail_text.one(line, self.wiring.config.pages_url, settings.token)
            queued += self._queue(conn, settings, mail, [waiting.note])
        return queued

    def digests(self) -> int:
        """Queue each member's daily and weekly digest once its period has passed; how
        many were queued."""
        queued, now = 0, self.wiring.clock()
        with self.wiring.engine.connect() as conn:
            everyone = store.everyone(conn)
        for settings in everyone:
            for period, since in ((DAILY, settings.daily_at), (WEEKLY, settings.weekly_at)):
                if now - since >= PERIOD_MS[period]:
                    with writing(self.wiring.engine) as conn:
                        queued += self._digest(conn, settings, period, now)
        return queued

    def _digest(self, conn: Any, settings: store.Settings, period: str, now: int) -> int:
        store.digest_made(conn, settings.did, period, now)
        waiting = store.waiting(conn, settings.did, period)
        if not waiting:
            return 0
        lines = [mail_text.Line(w.sentence, w.link) for w in waiting]
        mail = mail_text.digest(lines, period, self.wiring.config.pages_url, settings.token)
        return self._queue(conn, settings, mail, [w.note for w in waiting])

    def _queue(
        self, conn: Any, settings: store.Settings, mail: mail_text.Mail, notes: list[str]
    ) -> int:
        at = self.wiring.clock()
        mail_id = store.queue(conn, settings.did, settings.address, mail.subject, mail.text,
                              mail.html, settings.token, at)  # fmt: skip
        if store.mailed_in(conn, settings.did, notes, mail_id) != len(notes):
            raise RuntimeError("another sender mailed these notifications first")
        return 1

    def _noticed(self, note: Note, cadence: str) -> store.Noticed:
        # Mail always leaves out a private space's content (see `notice_text`), and is
        # worded in English: the recipient's language is not known here.
        said = sentence(note, self.name_of, private=bool(note.get("private")))
        return store.Noticed(note["id"], note["kind"], cadence, said, link(note))

    def name_of(self, did: str) -> str:
        """How mail and the page name a member: their username here, else "A member"."""
        account = self.wiring.accounts.by_did(did)
        return account.username if account is not None else "A member"
