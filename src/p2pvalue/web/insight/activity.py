"""The insight domain's events told as activity: a member saying which organisation they
work for (or that they no longer say)."""

from __future__ import annotations

from p2pvalue.web.i18n import markup
from p2pvalue.web.phrasing import Happening, Line, Phrase, Scene, quoted


def _affiliated(e: Happening, s: Scene) -> Line:
    organisation = e.content.get("organisation")
    if organisation:
        return Line(markup("%(who)s said they work for %(organisation)s", who=s.who(e.author),
                           organisation=quoted(organisation)))  # fmt: skip
    return Line(markup("%(who)s no longer says who they work for", who=s.who(e.author)))


PHRASES: dict[str, Phrase] = {"affiliation.declare": _affiliated}
