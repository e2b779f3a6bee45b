"""Governance events told as activity: "Dana proposed “Pay translators”", votes,
delegations, closes and follow-ups, each linked to its proposal."""

from __future__ import annotations

from markupsafe import Markup

from p2pvalue.web.i18n import N_, markup
from p2pvalue.web.phrasing import Happening, Line, Phrase, Scene, quoted

FOLLOW_UP_STATUSES = {
    "not_started": N_("%(who)s updated a follow-up of %(proposal)s: not started"),
    "in_progress": N_("%(who)s updated a follow-up of %(proposal)s: in progress"),
    "done": N_("%(who)s updated a follow-up of %(proposal)s: done"),
    "dropped": N_("%(who)s updated a follow-up of %(proposal)s: dropped"),
}


def _the_proposal(proposal_id: object, s: Scene) -> Markup:
    """The proposal an event is about, linked: “Pay translators”, or "a proposal"."""
    proposal = s.about(proposal_id)
    if proposal is None:
        return markup("a proposal")
    return s.link(f"/proposals/{proposal.id}", quoted(proposal.content.get("title")))


def _proposed(e: Happening, s: Scene) -> Line:
    title = s.link(f"/proposals/{e.id}", quoted(e.content.get("title")))
    if e.content.get("draft"):
        told = markup("%(who)s drafted %(title)s", who=s.who(e.author), title=title)
    else:
        told = markup("%(who)s proposed %(title)s", who=s.who(e.author), title=title)
    return Line(told, e.content.get("body") or None)


def _on_proposal(sentence: str) -> Phrase:
    def told(e: Happening, s: Scene) -> Line:
        return Line(markup(sentence, who=s.who(e.author),
                           proposal=_the_proposal(e.content.get("proposal"), s)))  # fmt: skip

    return told


def _closed(e: Happening, s: Scene) -> Line:
    proposal = _the_proposal(e.content.get("proposal"), s)
    if e.content.get("outcome") == "passed":
        return Line(markup("The vote on %(proposal)s closed: the proposal passed",
                           proposal=proposal))  # fmt: skip
    return Line(markup("The vote on %(proposal)s closed: the proposal was turned down",
                       proposal=proposal))  # fmt: skip


def _outcome(e: Happening, s: Scene) -> Line:
    told = markup("%(who)s wrote down what came of %(proposal)s", who=s.who(e.author),
                  proposal=_the_proposal(e.content.get("proposal"), s))  # fmt: skip
    return Line(told, e.content.get("statement") or None)


def _delegated(e: Happening, s: Scene) -> Line:
    who, to, kind = s.who(e.author), s.who(str(e.content.get("to", ""))), e.content.get("kind")
    if kind == "*":
        return Line(markup("%(who)s trusted %(to)s with their vote on every decision",
                           who=who, to=to))  # fmt: skip
    return Line(markup("%(who)s trusted %(to)s with their vote on decisions on %(kind)s",
                       who=who, to=to, kind=kind))  # fmt: skip


def _undelegated(e: Happening, s: Scene) -> Line:
    who, kind = s.who(e.author), e.content.get("kind")
    if kind == "*":
        return Line(markup("%(who)s took back their vote on every decision", who=who))
    return Line(markup("%(who)s took back their vote on decisions on %(kind)s",
                       who=who, kind=kind))  # fmt: skip


def _followup(e: Happening, s: Scene) -> Line:
    told = markup("%(who)s added the follow-up %(title)s to %(proposal)s", who=s.who(e.author),
                  title=quoted(e.content.get("title")),
                  proposal=_the_proposal(e.content.get("proposal"), s))  # fmt: skip
    return Line(told, e.content.get("note") or None)


def _followup_update(e: Happening, s: Scene) -> Line:
    status = str(e.content.get("status") or "")
    who, proposal = s.who(e.author), _the_proposal(e.content.get("proposal"), s)
    if status in FOLLOW_UP_STATUSES:
        told = markup(FOLLOW_UP_STATUSES[status], who=who, proposal=proposal)
    elif status:
        told = markup("%(who)s updated a follow-up of %(proposal)s: %(status)s", who=who,
                      proposal=proposal, status=status.replace("_", " "))  # fmt: skip
    else:
        told = markup("%(who)s updated a follow-up of %(proposal)s", who=who, proposal=proposal)
    return Line(told, e.content.get("note") or None)


PHRASES: dict[str, Phrase] = {
    "proposal.create": _proposed,
    "proposal.open": _on_proposal(N_("%(who)s opened the vote on %(proposal)s")),
    "proposal.withdraw": _on_proposal(N_("%(who)s withdrew %(proposal)s")),
    "proposal.close": _closed, "proposal.outcome": _outcome,
    "vote.cast": _on_proposal(N_("%(who)s voted on %(proposal)s")),
    "vote.commit": _on_proposal(N_("%(who)s cast a sealed vote on %(proposal)s")),
    "vote.reveal": _on_proposal(N_("%(who)s opened their sealed vote on %(proposal)s")),
    "delegation.set": _delegated, "delegation.revoke": _undelegated,
    "followup.add": _followup, "followup.update": _followup_update,
}  # fmt: skip
