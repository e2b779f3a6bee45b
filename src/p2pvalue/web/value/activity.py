"""The value domain's events told as activity: "Carol claimed “Fix the login bug” — 3 h
of code", "Bob approved Carol's claim …", income received and payouts made, in money."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from p2pvalue.web.i18n import N_, gettext, markup
from p2pvalue.web.phrasing import Happening, Line, Phrase, Scene, money, quoted

ALIAS = "email-sha256:"  # an unclaimed contributor: pages name them, never by this
VERDICTS = {
    "approve": N_("%(who)s approved %(claim)s"),
    "dispute": N_("%(who)s disputed %(claim)s"),
    "reject": N_("%(who)s rejected %(claim)s"),
}
REVIEWED = N_("%(who)s reviewed %(claim)s")
IMPORTED_VERDICTS = {
    "approve": N_("%(who)s imported from %(source)s that %(reviewer)s approved %(claim)s"),
    "request_changes": N_(
        "%(who)s imported from %(source)s that %(reviewer)s asked for changes to %(claim)s"
    ),
    "comment": N_("%(who)s imported from %(source)s that %(reviewer)s commented on %(claim)s"),
}
IMPORTED_REVIEW = N_("%(who)s imported from %(source)s a review of %(claim)s by %(reviewer)s")


def amount_of_work(content: Mapping[str, Any]) -> str:
    """How much work a claim is, in a member's words: '3 h of code', '2 units of design',
    '40.00 EUR of money'."""
    quantity, unit, kind = content.get("quantity"), content.get("unit"), content.get("kind")
    if unit == "hours":
        return gettext("%(quantity)s h of %(kind)s", quantity=quantity, kind=kind)
    if unit == "money":
        size = money(quantity, content.get("currency") or "")
        return gettext("%(amount)s of %(kind)s", amount=size, kind=kind)
    if quantity == 1:
        return gettext("1 unit of %(kind)s", kind=kind)
    return gettext("%(quantity)s units of %(kind)s", quantity=quantity, kind=kind)


def _people(dids: list[str], s: Scene) -> Markup:
    """Names joined as a member says them: "Carol", "Carol and Bob", "Carol, Bob and Dana"."""
    names = [s.who(did) for did in dids]
    if len(names) < 2:
        return names[0] if names else Markup("")
    return markup("%(some)s and %(last)s", some=Markup(", ").join(names[:-1]), last=names[-1])


def _claimants(e: Happening) -> list[str]:
    shared = [str(c.get("member")) for c in e.content.get("contributors") or ()]
    return shared or [e.author]


def _claim_link(claim: Happening, s: Scene) -> Markup:
    return s.link(f"/value#claim-{claim.id}", quoted(claim.content.get("description")))


def _the_claim(claim_id: object, s: Scene) -> Markup:
    """ "Carol's claim “Fix the login bug”", or "a claim" when this node does not hold it."""
    claim = s.about(claim_id)
    if claim is None:
        return markup("a claim")
    return markup("%(who)s's claim %(claim)s", who=s.who(claim.author),
                  claim=_claim_link(claim, s))  # fmt: skip


def _claimed(e: Happening, s: Scene) -> Line:
    return Line(markup("%(who)s claimed %(claim)s — %(amount)s", who=_people(_claimants(e), s),
                       claim=_claim_link(e, s), amount=amount_of_work(e.content)))  # fmt: skip


def _unclaimed_or_member(did: str, name: object, s: Scene) -> Markup:
    """A member by name; someone not yet claimed by the name the source gave them."""
    if did.startswith(ALIAS):
        return markup("%(name)s (not yet claimed)", name=name or gettext("someone"))
    return s.who(did)


def _imported(e: Happening, s: Scene) -> Line:
    """Imported work, by whom the importer says did it: a member by name, someone not yet
    claimed by the name the source gave them (never their address)."""
    people: list[Markup] = []
    for share in e.content.get("contributors") or ():
        people.append(_unclaimed_or_member(str(share.get("member")), share.get("name"), s))
    said = {"who": s.who(e.author), "claim": _claim_link(e, s),
            "source": e.content.get("source") or "?",
            "amount": amount_of_work(e.content)}  # fmt: skip
    if not people:  # erased, or none named
        return Line(markup("%(who)s imported %(claim)s from %(source)s — %(amount)s", **said))
    done = people[0] if len(people) < 2 else markup(
        "%(some)s and %(last)s", some=Markup(", ").join(people[:-1]), last=people[-1])  # fmt: skip
    return Line(markup("%(who)s imported %(claim)s by %(people)s from %(source)s — %(amount)s",
                       people=done, **said))  # fmt: skip


def _reviewed(e: Happening, s: Scene) -> Line:
    claim = _the_claim(e.content.get("claim"), s)
    verdict = VERDICTS.get(str(e.content.get("verdict")))
    told = markup(verdict or REVIEWED, who=s.who(e.author), claim=claim)
    return Line(told, e.content.get("reason") or None)


def _review_imported(e: Happening, s: Scene) -> Line:
    """A review at the source, as the importer attests it: the reviewer by name (never
    their address), the verdict, the claim."""
    c = e.content
    reviewer = _unclaimed_or_member(str(c.get("reviewer", "")), c.get("name"), s)
    told = IMPORTED_VERDICTS.get(str(c.get("verdict"))) or IMPORTED_REVIEW
    return Line(markup(told, who=s.who(e.author), source=c.get("source") or "?",
                       reviewer=reviewer, claim=_the_claim(c.get("claim"), s)))  # fmt: skip


def _closed(e: Happening, s: Scene) -> Line:
    return Line(markup("The review window of %(claim)s passed with no dispute",
                       claim=_the_claim(e.content.get("claim"), s)))  # fmt: skip


def _endorsed(e: Happening, s: Scene) -> Line:
    claim = _the_claim(e.content.get("claim"), s)
    told = markup("%(who)s vouched for %(claim)s", who=s.who(e.author), claim=claim)
    return Line(told, e.content.get("note") or None)


def _income(e: Happening, s: Scene) -> Line:
    c = e.content
    amount, source = money(c.get("amount"), c.get("currency")), c.get("source")
    if c.get("earmark"):
        return Line(markup("%(who)s recorded %(amount)s received from %(source)s for %(earmark)s",
                           who=s.who(e.author), amount=amount, source=source,
                           earmark=c["earmark"]))  # fmt: skip
    return Line(markup("%(who)s recorded %(amount)s received from %(source)s",
                       who=s.who(e.author), amount=amount, source=source))  # fmt: skip


def _shares(e: Happening, s: Scene) -> Markup:
    currency = e.content.get("currency")
    allocations = e.content.get("allocations") or {}
    parts = [Markup("{} {}").format(_payee(did, s), money(amount, currency))
             for did, amount in allocations.items() if amount]  # fmt: skip
    return Markup(", ").join(parts)


def _payee(did: str, s: Scene) -> Markup:
    """A member by name; someone not yet claimed as such, their part held for them."""
    if did.startswith(ALIAS):
        return Markup("someone not yet claimed (held for them)")
    return s.who(did)


def _payout(e: Happening, s: Scene) -> Line:
    c = e.content
    budget, paid = money(c.get("budget"), c.get("currency")), _shares(e, s)
    if c.get("earmark"):
        return Line(markup("%(who)s paid out %(budget)s for %(earmark)s: %(paid)s",
                           who=s.who(e.author), budget=budget, earmark=c["earmark"],
                           paid=paid))  # fmt: skip
    return Line(markup("%(who)s paid out %(budget)s: %(paid)s", who=s.who(e.author),
                       budget=budget, paid=paid))  # fmt: skip


def _bounty(e: Happening, s: Scene) -> Line:
    c = e.content
    return Line(markup("%(who)s paid out the bounty of %(amount)s for %(claim)s: %(paid)s",
                       who=s.who(e.author), amount=money(c.get("amount"), c.get("currency")),
                       claim=_the_claim(c.get("claim"), s), paid=_shares(e, s)))  # fmt: skip


def _alias(e: Happening, s: Scene) -> Line:
    return Line(markup("%(who)s linked an email address to their work", who=s.who(e.author)))


def _alias_confirmed(e: Happening, s: Scene) -> Line:
    member = str(e.content.get("member", ""))
    if e.content.get("proof") == "email":
        return Line(markup("%(who)s checked by mail that the address %(member)s linked is theirs",
                           who=s.who(e.author), member=s.who(member)))  # fmt: skip
    return Line(markup("%(who)s confirmed the email address %(member)s linked",
                       who=s.who(e.author), member=s.who(member)))  # fmt: skip


PHRASES: dict[str, Phrase] = {
    "contribution.claim": _claimed, "contribution.import": _imported,
    "contribution.review": _reviewed, "contribution.import_review": _review_imported,
    "contribution.close": _closed, "contribution.endorse": _endorsed,
    "income.record": _income, "payout.run": _payout, "bounty.pay": _bounty,
    "alias.claim": _alias, "alias.confirm": _alias_confirmed,
}  # fmt: skip
