"""Joining a space another node holds: what this node shows of it while it copies the log.

An event is judged against the state folded from its ancestors, so a node copying a space
(`worker.Replicator.backfill`) folds the log oldest first and cannot show a recent event
as state before all of its past has arrived. Meanwhile it shows a *provisional view*, as
Matrix's faster joins do, built from what it can check cheaply:

- the founding event, fetched by the space id, which is its id: verified alone, it names
  the space, its founder and its charter;
- the newest events, each verified alone (signature, content hash, id) and kept only if
  it is of the space and the holder names its author among the members;
- the holder's report of the space (members, counts): its word, checked for shape only.

The view is never folded or stored: the write path stays the only way events become
state. It is dropped when the copy ends, and from then on everything comes from this
node's fold; where the two disagreed, the fold stands and the difference is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel, Field, ValidationError

from p2pvalue.errors import EventError, P2PError
from p2pvalue.events.charter import charter_from_content
from p2pvalue.events.event import Event, now_ms, parse_event
from p2pvalue.federation.replication import Replication

if TYPE_CHECKING:
    from p2pvalue.domain import Wiring

LOG = logging.getLogger(__name__)
RECENT = 100  # newest events shown while the log is copied
MAX_REPORTED_MEMBERS = 5000
NEWEST = 2**53  # a position after every other: `before` it is the end of the log


class ReportedMember(BaseModel):
    did: str = Field(max_length=200)
    status: str = Field(max_length=32)
    roles: list[str] = Field(max_length=64)


class SpaceReport(BaseModel):
    """What the holder of a space says of it: taken on its word, never folded."""

    space: str
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    events: int = Field(ge=0)
    accepted: int = Field(ge=0)
    member_count: int = Field(ge=0)
    members: list[ReportedMember] = Field(max_length=MAX_REPORTED_MEMBERS)


def report_of(wiring: Wiring, space: str) -> dict[str, Any]:
    """This node's report of a space it holds, for a node that starts copying it: summary,
    heads and members (the first `MAX_REPORTED_MEMBERS` by did)."""
    heads = wiring.service(Replication).heads(space)
    summary = wiring.directory.space(space)
    if summary.private:
        raise P2PError("private_space", "a private space is summarised to no other node", 403)
    members = wiring.directory.members(space)
    return {
        "space": space, "name": summary.name, "description": summary.description,
        "events": summary.events, "accepted": summary.accepted, "heads": heads["heads"],
        "member_count": len(members),
        "members": [{"did": m["did"], "status": m["status"], "roles": m["roles"]}
                    for m in members[:MAX_REPORTED_MEMBERS]],
    }  # fmt: skip


def newest_bodies(wiring: Wiring, space: str, before: int, limit: int) -> list[tuple[int, bytes]]:
    """A page of a space this node holds, newest first: (position, body) before `before`."""
    return wiring.service(Replication).page(space, before, limit, newest_first=True)


@dataclass(frozen=True)
class Provisional:
    """A space as shown while its log is copied from `peer`: its verified founding event,
    its newest events verified one by one, and the peer's report (its word)."""

    space: str
    peer: str
    create: Event
    recent: tuple[Event, ...]
    report: SpaceReport | None

    @property
    def name(self) -> str:
        name = self.create.content.get("name")
        if isinstance(name, str):
            return name
        return self.report.name if self.report else self.space

    def founded(self) -> dict[str, Any]:
        """The space's summary as its founding event gives it, before any of it is folded."""
        content = self.create.content
        charter = charter_from_content(content["charter"]) if "charter" in content else None
        reported = self.report.description if self.report else ""
        return {
            "id": self.space, "name": self.name,
            "description": content.get("description", reported),
            "creator": self.create.author, "created_ts": self.create.ts,
            "membership": charter.membership if charter else None,
            "charter": charter.to_content() if charter else None,
            "events": 0, "accepted": 0,
        }  # fmt: skip


def provisional(
    space: str, peer: str, create: bytes, recent: bytes, report: bytes, held: int
) -> Provisional | None:
    """The view to show of `space` while its log is copied from `peer`, from the bodies the
    peer sent (empty where a request failed), this node holding `held` of its events; None
    if the founding event does not verify or this node holds as much as the peer has. The
    newest events are shown only with a report: a peer without one may not page backwards."""
    create_event = founding(space, create)
    if create_event is None:
        LOG.warning("no verified founding event of %s from %s: no provisional view", space, peer)
        return None
    if create_event.sealed:
        return None  # a private space: nothing to show before its key arrives
    parsed = parse_report(space, report) if report else None
    if parsed is not None and held >= parsed.events:
        return None
    shown = recent_events(space, recent, parsed) if parsed is not None else ()
    return Provisional(space, peer, create_event, shown, parsed)


def founding(space: str, ndjson: bytes) -> Event | None:
    """The space's founding event among fetched lines, if one verifies as it."""
    for event in _verified(space, ndjson, limit=1):
        if event.id == space and event.type == "space.create":
            return event
    return None


def recent_events(space: str, ndjson: bytes, report: SpaceReport | None) -> tuple[Event, ...]:
    """The newest events to show, in the order sent: each verified alone, of the space, and
    (when the report lists every member) by an author the holder names."""
    complete = report is not None and len(report.members) == report.member_count
    authors = {m.did for m in report.members} if report is not None and complete else None
    shown = []
    for event in _verified(space, ndjson, limit=2 * RECENT):
        if event.space != space or (authors is not None and event.author not in authors):
            LOG.warning("left %s out of the provisional view of %s: not of the space or "
                        "by an author its holder does not name", event.id, space)  # fmt: skip
            continue
        shown.append(event)
    return tuple(shown[:RECENT])


def _verified(space: str, ndjson: bytes, limit: int) -> list[Event]:
    events = []
    now = now_ms()
    for line in ndjson.splitlines()[:limit]:
        try:
            events.append(parse_event(orjson.loads(line), now=now))
        except (orjson.JSONDecodeError, EventError) as error:
            code = error.code if isinstance(error, EventError) else "malformed_json"
            LOG.warning("an event sent for %s does not verify (%s): not shown", space, code)
    return events


def parse_report(space: str, body: bytes) -> SpaceReport | None:
    """The holder's report, if it has the shape of one and is about `space`."""
    try:
        report = SpaceReport.model_validate_json(body)
    except ValidationError as error:
        LOG.warning("the report on %s is not one (%s): no members shown", space, error)
        return None
    return report if report.space == space else None


def space_view(view: Provisional, fold: Mapping[str, Any] | None) -> dict[str, Any]:
    """`GET /api/v1/spaces/{id}` while the log is copied: the space as far as this node
    folded it (or as its founding event gives it), and `sync`, the provisional rest."""
    base = dict(fold) if fold is not None else view.founded()
    held = int(base["events"])
    report = view.report
    return {**base, "sync": {
        "state": "backfilling", "peer": view.peer, "held": held,
        "total": max(report.events, held) if report else None, "provisional": True,
        "members": [m.model_dump() for m in report.members] if report else None,
        "member_count": report.member_count if report else None,
        "recent": [recent_json(event) for event in view.recent],
    }}  # fmt: skip


def recent_json(event: Event) -> dict[str, Any]:
    return {"id": event.id, "type": event.type, "author": event.author, "ts": event.ts,
            "event": event.wire, "provisional": True}  # fmt: skip


def disagreements(
    view: Provisional, members: Sequence[Mapping[str, Any]], accepted: set[str]
) -> list[str]:
    """Where the provisional view said other than this node's fold: members the report
    gave another status or roles, and shown events the fold did not accept."""
    found = []
    if view.report is not None:
        folded = {m["did"]: (m["status"], sorted(m["roles"])) for m in members}
        reported = {m.did: (m.status, sorted(m.roles)) for m in view.report.members}
        if len(view.report.members) < view.report.member_count:
            folded = {did: folded[did] for did in reported if did in folded}
        for did in sorted(folded.keys() | reported.keys()):
            if folded.get(did) != reported.get(did):
                found.append(f"member {did}: reported {reported.get(did)}, "
                             f"folded {folded.get(did)}")  # fmt: skip
    found += [f"event {e.id} shown but not accepted" for e in view.recent if e.id not in accepted]
    return found
