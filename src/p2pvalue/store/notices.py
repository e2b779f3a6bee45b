"""SQL for what a node keeps about its members' notifications: which ones they marked read,
their mail settings, each notification noticed for mail once, and the mail outbox."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from p2pvalue.store.schema import mail_notes, mail_outbox, mail_settings, notification_reads

MAILED = ("immediately", "daily", "weekly")  # the cadences that send mail
QUEUED, SENDING, SENT, FAILED, UNCERTAIN = "queued", "sending", "sent", "failed", "uncertain"


def read_notes(conn: Connection, did: str) -> set[str]:
    """The ids of the notifications `did` marked read."""
    query = select(notification_reads.c.note).where(notification_reads.c.did == did)
    return set(conn.scalars(query))


@dataclass(frozen=True)
class Freshness:
    """What a member's derived notifications and their unread count rest on, read in one
    statement: how many spaces the store holds and events in all (any event stored, by any
    worker of the node, changes them: events are never deleted, only their content), and
    how many notifications the member marked read and when last (marks are only added, or
    all erased)."""

    spaces: int
    events: int
    marks: int
    last_read: int


# Written out: this runs on every page, and building the Core statement each time cost
# more than running it.
FRESHNESS = text(
    "SELECT (SELECT count(*) FROM spaces), (SELECT coalesce(sum(events), 0) FROM spaces),"
    " (SELECT count(*) FROM notification_reads WHERE did = :did),"
    " (SELECT coalesce(max(read_at), 0) FROM notification_reads WHERE did = :did)"
)


def freshness(conn: Connection, did: str) -> Freshness:
    row = conn.execute(FRESHNESS, {"did": did}).one()
    return Freshness(*(int(value) for value in row))


def mark_read(conn: Connection, did: str, notes: Iterable[str], at: int) -> int:
    """Mark `notes` read for `did` (those already read stay as they were); how many new."""
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    fresh = 0
    for note in sorted(set(notes)):
        row = {"did": did, "note": note, "read_at": at}
        added = upsert(notification_reads).values(row).on_conflict_do_nothing()
        fresh += len(conn.execute(added.returning(notification_reads.c.note)).all())
    return fresh


@dataclass(frozen=True)
class Settings:
    did: str
    address: str
    preferences: str  # JSON: kind -> cadence
    token: str
    daily_at: int
    weekly_at: int


def settings(conn: Connection, did: str) -> Settings | None:
    row = conn.execute(select(mail_settings).where(mail_settings.c.did == did)).first()
    return Settings(*row) if row else None


def settings_by_token(conn: Connection, token: str) -> Settings | None:
    row = conn.execute(select(mail_settings).where(mail_settings.c.token == token)).first()
    return Settings(*row) if row else None


def everyone(conn: Connection) -> list[Settings]:
    """The settings of every member who gave an address."""
    return [Settings(*row) for row in conn.execute(select(mail_settings))]


def save_settings(conn: Connection, given: Settings) -> None:
    """Insert or replace a member's settings."""
    conn.execute(delete(mail_settings).where(mail_settings.c.did == given.did))
    conn.execute(insert(mail_settings).values(given.__dict__))


def set_preferences(conn: Connection, did: str, preferences: str) -> None:
    conn.execute(
        update(mail_settings).where(mail_settings.c.did == did).values(preferences=preferences)
    )


def erase_settings(conn: Connection, did: str) -> None:
    """Forget `did`'s address; what waited to be mailed to it will not be."""
    conn.execute(delete(mail_settings).where(mail_settings.c.did == did))
    recadence(conn, did, None)


def recadence(conn: Connection, did: str, cadences: Mapping[str, str] | None) -> None:
    """Move `did`'s notifications that wait to be mailed to their kind's new cadence
    (to "never" for every kind when `cadences` is None)."""
    waiting = (mail_notes.c.did == did, mail_notes.c.mail.is_(None),
               mail_notes.c.cadence.in_(MAILED))  # fmt: skip
    if cadences is None:
        conn.execute(update(mail_notes).where(*waiting).values(cadence="never"))
        return
    for kind, cadence in cadences.items():
        conn.execute(
            update(mail_notes).where(*waiting, mail_notes.c.kind == kind).values(cadence=cadence)
        )


def digest_made(conn: Connection, did: str, period: str, at: int) -> None:
    """Record that `did`'s digest of `period` ("daily" or "weekly") was made at `at`."""
    column = {"daily": "daily_at", "weekly": "weekly_at"}[period]
    conn.execute(update(mail_settings).where(mail_settings.c.did == did).values({column: at}))


def erase(conn: Connection, did: str) -> int:
    """Forget everything about `did`'s notifications and mail; how many rows went."""
    gone = 0
    for table in (notification_reads, mail_settings, mail_notes, mail_outbox):
        gone += conn.execute(delete(table).where(table.c.did == did)).rowcount
    return gone


@dataclass(frozen=True)
class Noticed:
    note: str
    kind: str
    cadence: str
    sentence: str
    link: str


NOTICED_COLUMNS = [mail_notes.c[name] for name in Noticed.__dataclass_fields__]


def noticed_ids(conn: Connection, did: str) -> set[str]:
    return set(conn.scalars(select(mail_notes.c.note).where(mail_notes.c.did == did)))


def notice(conn: Connection, did: str, noticed: Noticed, at: int) -> bool:
    """Record a notification for `did` once; False if it was recorded before."""
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    row = {"did": did, "noticed_at": at, **noticed.__dict__}
    added = upsert(mail_notes).values(row).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg gives no row count for a skipped conflict.
    return conn.execute(added.returning(mail_notes.c.note)).first() is not None


def waiting(conn: Connection, did: str, cadence: str) -> list[Noticed]:
    """`did`'s notifications of `cadence` not mailed yet, oldest first."""
    query = (
        select(*NOTICED_COLUMNS)
        .where(mail_notes.c.did == did, mail_notes.c.cadence == cadence)
        .where(mail_notes.c.mail.is_(None))
        .order_by(mail_notes.c.noticed_at, mail_notes.c.note)
    )
    return [Noticed(*row) for row in conn.execute(query)]


def mailed_in(conn: Connection, did: str, notes: Iterable[str], mail: int) -> int:
    """Record that `notes` go out in `mail`; how many were not in a mail already."""
    moved = conn.execute(
        update(mail_notes)
        .where(mail_notes.c.did == did, mail_notes.c.note.in_(list(notes)))
        .where(mail_notes.c.mail.is_(None))
        .values(mail=mail)
    )
    return moved.rowcount


@dataclass(frozen=True)
class Mail:
    id: int
    did: str
    address: str
    subject: str
    text: str
    html: str
    token: str
    state: str
    attempts: int


MAIL_COLUMNS = [mail_outbox.c[name] for name in Mail.__dataclass_fields__]


def queue(
    conn: Connection, did: str, address: str, subject: str, text: str, html: str, token: str,
    at: int,
) -> int:  # fmt: skip
    """Queue a mail, due at `at`; its id."""
    values = {"did": did, "address": address, "subject": subject, "text": text, "html": html,
              "token": token, "state": QUEUED, "attempts": 0, "next_at": at,
              "queued_at": at}  # fmt: skip
    key = conn.execute(insert(mail_outbox).values(values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def due(conn: Connection, now: int, limit: int) -> list[Mail]:
    """Queued mail due by `now`, oldest first."""
    query = (
        select(*MAIL_COLUMNS)
        .where(mail_outbox.c.state == QUEUED, mail_outbox.c.next_at <= now)
        .order_by(mail_outbox.c.id)
        .limit(limit)
    )
    return [Mail(*row) for row in conn.execute(query)]


def mails(conn: Connection, did: str | None = None) -> list[Mail]:
    """Every mail in the outbox (`did`'s only, when given), oldest first."""
    query = select(*MAIL_COLUMNS).order_by(mail_outbox.c.id)
    if did is not None:
        query = query.where(mail_outbox.c.did == did)
    return [Mail(*row) for row in conn.execute(query)]


def take(conn: Connection, mail_id: int) -> bool:
    """Move a queued mail to `sending`; False if another sender took it first."""
    moved = conn.execute(
        update(mail_outbox)
        .where(mail_outbox.c.id == mail_id, mail_outbox.c.state == QUEUED)
        .values(state=SENDING, attempts=mail_outbox.c.attempts + 1)
    )
    return moved.rowcount == 1


def ended(
    conn: Connection, mail_id: int, state: str, at: int, error: str | None = None,
    next_at: int | None = None,
) -> None:  # fmt: skip
    """Record how an attempt ended: `sent` (at `at`), `failed`, `uncertain`, or `queued`
    again for `next_at`."""
    values: dict[str, object] = {"state": state, "last_error": error and error[:200]}
    if state == SENT:
        values["sent_at"] = at
    if next_at is not None:
        values["next_at"] = next_at
    conn.execute(update(mail_outbox).where(mail_outbox.c.id == mail_id).values(values))


def abandoned(conn: Connection) -> list[int]:
    """Mail left `sending` by a sender that stopped mid-send: now `uncertain`; their ids."""
    ids = list(conn.scalars(select(mail_outbox.c.id).where(mail_outbox.c.state == SENDING)))
    if ids:
        conn.execute(
            update(mail_outbox)
            .where(mail_outbox.c.id.in_(ids))
            .values(state=UNCERTAIN, last_error="the node stopped while handing it over")
        )
    return ids
