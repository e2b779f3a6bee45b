"""The kernel's events told as activity: founding, joining, roles and posts. Keys, ticks
and a member's home node are bookkeeping and are not told (the history shows them)."""

from __future__ import annotations

from p2pvalue.web.i18n import markup, nmarkup
from p2pvalue.web.phrasing import Happening, Line, Phrase, Scene, quoted


def _founded(e: Happening, s: Scene) -> Line:
    name = quoted(e.content.get("name"))
    return Line(markup("%(who)s founded %(name)s", who=s.who(e.author), name=name))


def _joined(e: Happening, s: Scene) -> Line:
    return Line(markup("%(who)s joined the space", who=s.who(e.author)))


def _requested(e: Happening, s: Scene) -> Line:
    note = e.content.get("note")
    return Line(markup("%(who)s asked to join", who=s.who(e.author)), note or None)


def _admitted(e: Happening, s: Scene) -> Line:
    member = s.who(str(e.content.get("member", "")))
    return Line(markup("%(who)s admitted %(member)s", who=s.who(e.author), member=member))


def _invited(e: Happening, s: Scene) -> Line:
    member = s.who(str(e.content.get("member", "")))
    return Line(markup("%(who)s invited %(member)s", who=s.who(e.author), member=member))


def _declined(e: Happening, s: Scene) -> Line:
    member = s.who(str(e.content.get("member", "")))
    return Line(markup("%(who)s declined the request of %(member)s to join",
                       who=s.who(e.author), member=member))  # fmt: skip


def _left(e: Happening, s: Scene) -> Line:
    return Line(markup("%(who)s left the space", who=s.who(e.author)))


def _removed(e: Happening, s: Scene) -> Line:
    member, reason = str(e.content.get("member", "")), e.content.get("reason")
    told = markup("%(who)s removed %(member)s from the space",
                  who=s.who(e.author), member=s.who(member))  # fmt: skip
    return Line(told, reason or None)


def _granted(e: Happening, s: Scene) -> Line:
    member, role = str(e.content.get("member", "")), str(e.content.get("role", ""))
    return Line(markup("%(who)s gave the role %(role)s to %(member)s",
                       who=s.who(e.author), role=quoted(role), member=s.who(member)))  # fmt: skip


def _revoked(e: Happening, s: Scene) -> Line:
    member, role = str(e.content.get("member", "")), str(e.content.get("role", ""))
    return Line(markup("%(who)s took the role %(role)s from %(member)s",
                       who=s.who(e.author), role=quoted(role), member=s.who(member)))  # fmt: skip


def _erased(e: Happening, s: Scene) -> Line:
    count = len(e.content.get("events") or ())
    return Line(nmarkup("%(who)s erased a text they had written",
                        "%(who)s erased %(num)d texts they had written",
                        count, who=s.who(e.author)))  # fmt: skip


def _posted(e: Happening, s: Scene) -> Line:
    return Line(markup("%(who)s posted", who=s.who(e.author)), str(e.content.get("text", "")))


def _untold(e: Happening, s: Scene) -> None:
    return None


PHRASES: dict[str, Phrase] = {
    "space.create": _founded, "member.join": _joined, "member.request": _requested,
    "member.admit": _admitted, "member.invite": _invited, "member.decline": _declined,
    "member.leave": _left, "member.remove": _removed,
    "role.grant": _granted, "role.revoke": _revoked,
    "content.erase": _erased, "post.create": _posted,
    "member.home": _untold, "space.key": _untold, "clock.tick": _untold,
}  # fmt: skip
