"""Governance events told as activity: "Dana proposed “Pay translators”", votes,
delegations, closes and follow-ups, each linked to its proposal."""

from __future__ import annotations

from markupsafe import Markup

from p2pvalue.web.phrasing import Happening, Line, Phrase, Scene, quoted


def _the_proposal(proposal_id: object, s: Scene) -> Markup:
    """The proposal an event is about, linked: “Pay translators”, or "a proposal"."""
    proposal = s.about(proposal_id)
    if proposal is None:
        return Markup("a proposal")
    return s.link(f"/proposals/{proposal.id}", quoted(proposal.content.get("title")))


def _proposed(e: Happening, s: Scene) -> Line:
    title = s.link(f"/proposals/{e.id}", quoted(e.content.get("title")))
    verb = "drafted" if e.content.get("draft") else "proposed"
    return Line(Markup("{} {} {}").format(s.who(e.author), verb, title),
                e.content.get("body") or None)  # fmt: skip


def _on_proposal(template: str) -> Phrase:
    def told(e: Happening, s: Scene) -> Line:
        return Line(Markup(template).format(
            who=s.who(e.author), proposal=_the_proposal(e.content.get("proposal"), s)))  # fmt: skip

    return told


def _closed(e: Happening, s: Scene) -> Line:
    outcome = "passed" if e.content.get("outcome") == "passed" else "was turned down"
    return Line(Markup("The vote on {} closed: the proposal {}").format(
        _the_proposal(e.content.get("proposal"), s), outcome))  # fmt: skip


def _outcome(e: Happening, s: Scene) -> Line:
    told = Markup("{} wrote down what came of {}").format(
        s.who(e.author), _the_proposal(e.content.get("proposal"), s))  # fmt: skip
    return Line(told, e.content.get("statement") or None)


def _topic(kind: object) -> str:
    return "every decision" if kind == "*" else f"decisions on {kind}"


def _delegated(e: Happening, s: Scene) -> Line:
    to, topic = str(e.content.get("to", "")), _topic(e.content.get("kind"))
    return Line(Markup("{} trusted {} with their vote on {}").format(
        s.who(e.author), s.who(to), topic))  # fmt: skip


def _undelegated(e: Happening, s: Scene) -> Line:
    return Line(Markup("{} took back their vote on {}").format(
        s.who(e.author), _topic(e.content.get("kind"))))  # fmt: skip


def _followup(e: Happening, s: Scene) -> Line:
    told = Markup("{} added the follow-up {} to {}").format(
        s.who(e.author), quoted(e.content.get("title")),
        _the_proposal(e.content.get("proposal"), s))  # fmt: skip
    return Line(told, e.content.get("note") or None)


def _followup_update(e: Happening, s: Scene) -> Line:
    status = e.content.get("status")
    told = Markup("{} updated a follow-up of {}").format(
        s.who(e.author), _the_proposal(e.content.get("proposal"), s))  # fmt: skip
    if status:
        told += Markup(": {}").format(str(status).replace("_", " "))
    return Line(told, e.content.get("note") or None)


PHRASES: dict[str, Phrase] = {
    "proposal.create": _proposed,
    "proposal.open": _on_proposal("{who} opened the vote on {proposal}"),
    "proposal.withdraw": _on_proposal("{who} withdrew {proposal}"),
    "proposal.close": _closed, "proposal.outcome": _outcome,
    "vote.cast": _on_proposal("{who} voted on {proposal}"),
    "vote.commit": _on_proposal("{who} cast a sealed vote on {proposal}"),
    "vote.reveal": _on_proposal("{who} opened their sealed vote on {proposal}"),
    "delegation.set": _delegated, "delegation.revoke": _undelegated,
    "followup.add": _followup, "followup.update": _followup_update,
}  # fmt: skip
