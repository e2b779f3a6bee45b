"""The kernel's events told as activity: founding, joining, roles and posts. Keys, ticks
and a member's home node are bookkeeping and are not told (the history shows them)."""

from __future__ import annotations

from markupsafe import Markup

from p2pvalue.web.phrasing import Happening, Line, Phrase, Scene, quoted


def _founded(e: Happening, s: Scene) -> Line:
    return Line(Markup("{} founded {}").format(s.who(e.author), quoted(e.content.get("name"))))


def _joined(e: Happening, s: Scene) -> Line:
    return Line(Markup("{} joined the space").format(s.who(e.author)))


def _requested(e: Happening, s: Scene) -> Line:
    note = e.content.get("note")
    return Line(Markup("{} asked to join").format(s.who(e.author)), note or None)


def _on_member(verb: str) -> Phrase:
    def told(e: Happening, s: Scene) -> Line:
        member = str(e.content.get("member", ""))
        return Line(Markup("{} {} {}").format(s.who(e.author), verb, s.who(member)))

    return told


def _left(e: Happening, s: Scene) -> Line:
    return Line(Markup("{} left the space").format(s.who(e.author)))


def _removed(e: Happening, s: Scene) -> Line:
    member, reason = str(e.content.get("member", "")), e.content.get("reason")
    told = Markup("{} removed {} from the space").format(s.who(e.author), s.who(member))
    return Line(told, reason or None)


def _role(verb: str, preposition: str) -> Phrase:
    def told(e: Happening, s: Scene) -> Line:
        member, role = str(e.content.get("member", "")), str(e.content.get("role", ""))
        return Line(Markup("{} {} the role {} {} {}").format(
            s.who(e.author), verb, quoted(role), preposition, s.who(member)))  # fmt: skip

    return told


def _erased(e: Happening, s: Scene) -> Line:
    count = len(e.content.get("events") or ())
    things = "a text" if count == 1 else f"{count} texts"
    return Line(Markup("{} erased {} they had written").format(s.who(e.author), things))


def _posted(e: Happening, s: Scene) -> Line:
    return Line(Markup("{} posted").format(s.who(e.author)), str(e.content.get("text", "")))


def _untold(e: Happening, s: Scene) -> None:
    return None


PHRASES: dict[str, Phrase] = {
    "space.create": _founded, "member.join": _joined, "member.request": _requested,
    "member.admit": _on_member("admitted"), "member.invite": _on_member("invited"),
    "member.leave": _left, "member.remove": _removed,
    "role.grant": _role("gave", "to"), "role.revoke": _role("took", "from"),
    "content.erase": _erased, "post.create": _posted,
    "member.home": _untold, "space.key": _untold, "clock.tick": _untold,
}  # fmt: skip
