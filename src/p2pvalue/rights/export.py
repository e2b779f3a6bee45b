"""A member's data export: everything this node holds about them, as one ZIP archive.

The archive is deterministic: the same state gives the same bytes (fixed entry order and
timestamps), so a member can compare two exports by their hash. It holds no secret: not
the password hash, not the session tokens, not the member's key (which has its own
endpoint, `POST /api/v1/accounts/me/key`). `contributions` and `archive` are pure;
`member_archive` reads the node's store and ledgers.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine

from p2pvalue.accounting.model import Ledger
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.valueflows import CONTEXT, economic_events
from p2pvalue.accounts import Account
from p2pvalue.domain import Wiring
from p2pvalue.errors import Unauthorized
from p2pvalue.events.canonical import canonical
from p2pvalue.social.messages import as_json as message_json
from p2pvalue.social.profiles import as_json as profile_json
from p2pvalue.store import rights as store
from p2pvalue.store import social as social_store

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP entry can carry
UNIX = 3  # ZIP "made by" system: file modes below are Unix modes
FILE_MODE = 0o100644
README = """\
Everything the p2pvalue node {node} holds about {username} ({did}).

README.txt          this file
account.json        your account: username, did, when it was created (ms since 1970),
                    and this node's did. Your password hash and sessions stay on the
                    node; your secret key is not here: export it with
                    POST /api/v1/accounts/me/key (it asks for your password again).
profile.json        every field of your profile, private ones too, each with its
                    visibility (public, members or private).
follows.json        the spaces and members you follow.
memberships.json    every space where you have a status (member, requested, invited,
                    left or removed): space id, name, status, roles, and the id of the
                    event that gave you that status ("since").
events/SPACE.jsonl  every event you signed in the space SPACE, one per line, exactly as
                    stored (canonical JSON, signed: each line verifies on its own), in
                    the space's order; rejected events included.
opened/SPACE.jsonl  for a private space: the content of each of those events as its
                    space key opens it, a line each with the event's id (the events
                    themselves carry it sealed).
contributions.jsonld  your accepted contributions across spaces as ValueFlows
                    EconomicEvents (JSON-LD): one per claim you share in, with your share
                    of its quantity.
messages.json       the direct messages you sent or received and have not removed, as
                    the node holds them: sealed boxes (base64url, no padding), the
                    sender's signature, the sender, the recipient and when. The node
                    cannot read them; open each received one with your own key. A box
                    you sent is sealed to its recipient: only they can open it.
documents.json      the live documents you wrote in: document id -> the Yjs client ids
                    that are yours, which is how your share of a document is measured.
"""


@dataclass(frozen=True)
class MemberRecords:
    """What the node's database holds about one member, read in one transaction."""

    account: store.AccountRecord
    profile: dict[str, Any]
    follows: dict[str, list[str]]
    memberships: list[store.MembershipRecord]
    events: dict[str, list[bytes]]
    opened: dict[str, list[bytes]]
    messages: list[dict[str, Any]]
    documents: dict[str, list[int]]


def member_archive(wiring: Wiring, account: Account) -> bytes:
    """The ZIP archive of everything the node holds about `account`, byte-identical for the
    same state; `unknown_account` if the account is gone."""
    records = read_records(wiring.engine, account)
    spaces = [m.space for m in records.memberships]
    spaces += sorted(set(records.events) - set(spaces))
    ledgers = [(space, wiring.service(Value).ledger(space)) for space in spaces]
    return archive(member_files(wiring.did, records, contributions(account.did, ledgers)))


def read_records(engine: Engine, account: Account) -> MemberRecords:
    """The member's rows across the node's tables, as one consistent read."""
    with engine.begin() as conn:
        found = store.account_record(conn, account.id)
        if found is None:
            raise Unauthorized("unknown_account", "this account no longer exists")
        fields = social_store.profile(conn, found.did)
        followed = social_store.followed(conn, found.did)
        events: dict[str, list[bytes]] = {}
        opened: dict[str, list[bytes]] = {}
        for space, event_id, body, plain in store.authored(conn, found.did):
            events.setdefault(space, []).append(body)
            if plain is not None:
                line = canonical({"id": event_id, "content": orjson.loads(plain)})
                opened.setdefault(space, []).append(line)
        return MemberRecords(
            account=found,
            profile=profile_json(found.did, found.username, fields),
            follows={"spaces": followed[social_store.SPACE],
                     "members": followed[social_store.PERSON]},
            memberships=store.memberships(conn, found.did),
            events=events,
            opened=opened,
            messages=[message_json(m) for m in store.kept_messages(conn, found.did)],
            documents=store.owned_clients(conn, found.did),
        )  # fmt: skip


def contributions(did: str, ledgers: Iterable[tuple[str, Ledger]]) -> dict[str, Any]:
    """The ValueFlows JSON-LD of the accepted contributions `did` provided, across the given
    spaces' ledgers, in their order: one document with one `@graph`."""
    graph = [
        node
        for space, ledger in ledgers
        for node in economic_events(space, ledger)["@graph"]
        if node["vf:provider"] == did
    ]
    return {"@context": CONTEXT, "@graph": graph}


def member_files(
    node_did: str, records: MemberRecords, jsonld: dict[str, Any]
) -> list[tuple[str, bytes]]:
    """The archive's entries, in the order they are written."""
    account = records.account
    readme = README.format(node=node_did, username=account.username, did=account.did)
    memberships = [
        {"space": m.space, "name": m.name, "status": m.status, "roles": m.roles,
         "since": m.since}
        for m in records.memberships
    ]  # fmt: skip
    files = [
        ("README.txt", readme.encode()),
        ("account.json", _json({"username": account.username, "did": account.did,
                                "created_at": account.created_at, "node": node_did})),
        ("profile.json", _json(records.profile)),
        ("follows.json", _json(records.follows)),
        ("memberships.json", _json(memberships)),
        ("contributions.jsonld", _json(jsonld)),
        ("messages.json", _json(records.messages)),
        ("documents.json", _json(records.documents)),
    ]  # fmt: skip
    for space in sorted(records.events):
        files.append((f"events/{space}.jsonl", b"".join(b + b"\n" for b in records.events[space])))
    for space in sorted(records.opened):
        files.append((f"opened/{space}.jsonl", b"".join(b + b"\n" for b in records.opened[space])))
    return files


def archive(files: Sequence[tuple[str, bytes]]) -> bytes:
    """A deflated ZIP of `files` in the given order, with fixed times and modes, so the same
    entries always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, content in files:
            entry = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = UNIX
            entry.external_attr = FILE_MODE << 16
            zipped.writestr(entry, content)
    return buffer.getvalue()


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
