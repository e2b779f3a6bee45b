"""The value domain's events told as activity: "Carol claimed “Fix the login bug” — 3 h
of code", "Bob approved Carol's claim …", income received and payouts made, in money."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from p2pvalue.web.phrasing import Happening, Line, Phrase, Scene, money, quoted

ALIAS = "email-sha256:"  # an unclaimed contributor: pages name them, never by this
VERDICTS = {"approve": "approved", "dispute": "disputed", "reject": "rejected"}


def amount_of_work(content: Mapping[str, Any]) -> str:
    """How much work a claim is, in a member's words: '3 h of code', '2 units of design',
    '40.00 EUR of money'."""
    quantity, unit, kind = content.get("quantity"), content.get("unit"), content.get("kind")
    if unit == "hours":
        size = f"{quantity} h"
    elif unit == "money":
        size = money(quantity, content.get("currency") or "")
    else:
        size = f"{quantity} {'unit' if quantity == 1 else 'units'}"
    return f"{size} of {kind}"


def _people(dids: list[str], s: Scene) -> Markup:
    """Names joined as a member says them: "Carol", "Carol and Bob", "Carol, Bob and Dana"."""
    names = [s.who(did) for did in dids]
    if len(names) < 2:
        return names[0] if names else Markup("")
    return Markup(", ").join(names[:-1]) + Markup(" and ") + names[-1]


def _claimants(e: Happening) -> list[str]:
    shared = [str(c.get("member")) for c in e.content.get("contributors") or ()]
    return shared or [e.author]


def _claim_link(claim: Happening, s: Scene) -> Markup:
    return s.link(f"/value#claim-{claim.id}", quoted(claim.content.get("description")))


def _the_claim(claim_id: object, s: Scene) -> Markup:
    """ "Carol's claim “Fix the login bug”", or "a claim" when this node does not hold it."""
    claim = s.about(claim_id)
    if claim is None:
        return Markup("a claim")
    return Markup("{} claim {}").format(s.whose(claim.author), _claim_link(claim, s))


def _claimed(e: Happening, s: Scene) -> Line:
    return Line(Markup("{} claimed {} — {}").format(
        _people(_claimants(e), s), _claim_link(e, s), amount_of_work(e.content)))  # fmt: skip


def _imported(e: Happening, s: Scene) -> Line:
    """Imported work, by whom the importer says did it: a member by name, someone not yet
    claimed by the name the source gave them (never their address)."""
    people: list[Markup] = []
    for share in e.content.get("contributors") or ():
        member = str(share.get("member"))
        if member.startswith(ALIAS):
            people.append(Markup("{} (not yet claimed)").format(share.get("name") or "someone"))
        else:
            people.append(s.who(member))
    done = people[0] if len(people) < 2 else (
        Markup(", ").join(people[:-1]) + Markup(" and ") + people[-1])  # fmt: skip
    return Line(Markup("{} imported {} by {} from {} — {}").format(
        s.who(e.author), _claim_link(e, s), done, e.content.get("source"),
        amount_of_work(e.content)))  # fmt: skip


def _reviewed(e: Happening, s: Scene) -> Line:
    verdict = VERDICTS.get(str(e.content.get("verdict")), "reviewed")
    claim = _the_claim(e.content.get("claim"), s)
    told = Markup("{} {} {}").format(s.who(e.author), verdict, claim)
    return Line(told, e.content.get("reason") or None)


def _closed(e: Happening, s: Scene) -> Line:
    return Line(Markup("{}'s review window passed with no dispute").format(
        _the_claim(e.content.get("claim"), s)))  # fmt: skip


def _endorsed(e: Happening, s: Scene) -> Line:
    claim = _the_claim(e.content.get("claim"), s)
    told = Markup("{} vouched for {}").format(s.who(e.author), claim)
    return Line(told, e.content.get("note") or None)


def _income(e: Happening, s: Scene) -> Line:
    c = e.content
    told = Markup("{} recorded {} received from {}").format(
        s.who(e.author), money(c.get("amount"), c.get("currency")), c.get("source"))  # fmt: skip
    if c.get("earmark"):
        told += Markup(" for {}").format(c["earmark"])
    return Line(told)


def _paid(e: Happening, s: Scene, what: Markup) -> Line:
    currency = e.content.get("currency")
    allocations = e.content.get("allocations") or {}
    parts = [Markup("{} {}").format(_payee(did, s), money(amount, currency))
             for did, amount in allocations.items() if amount]  # fmt: skip
    paid = Markup(", ").join(parts)
    return Line(Markup("{} paid out {}: {}").format(s.who(e.author), what, paid))


def _payee(did: str, s: Scene) -> Markup:
    """A member by name; someone not yet claimed as such, their part held for them."""
    if did.startswith(ALIAS):
        return Markup("someone not yet claimed (held for them)")
    return s.who(did)


def _payout(e: Happening, s: Scene) -> Line:
    c = e.content
    what = Markup("{}").format(money(c.get("budget"), c.get("currency")))
    if c.get("earmark"):
        what += Markup(" for {}").format(c["earmark"])
    return _paid(e, s, what)


def _bounty(e: Happening, s: Scene) -> Line:
    c = e.content
    what = Markup("the bounty of {} for {}").format(
        money(c.get("amount"), c.get("currency")), _the_claim(c.get("claim"), s))  # fmt: skip
    return _paid(e, s, what)


def _alias(e: Happening, s: Scene) -> Line:
    return Line(Markup("{} linked an email address to their work").format(s.who(e.author)))


def _alias_confirmed(e: Happening, s: Scene) -> Line:
    member = str(e.content.get("member", ""))
    if e.content.get("proof") == "email":
        return Line(Markup("{} checked by mail that the address {} linked is theirs").format(
            s.who(e.author), s.who(member)))  # fmt: skip
    return Line(Markup("{} confirmed the email address {} linked").format(
        s.who(e.author), s.who(member)))  # fmt: skip


PHRASES: dict[str, Phrase] = {
    "contribution.claim": _claimed, "contribution.import": _imported,
    "contribution.review": _reviewed,
    "contribution.close": _closed, "contribution.endorse": _endorsed,
    "income.record": _income, "payout.run": _payout, "bounty.pay": _bounty,
    "alias.claim": _alias, "alias.confirm": _alias_confirmed,
}  # fmt: skip
