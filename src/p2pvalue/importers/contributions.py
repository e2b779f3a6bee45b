"""Work done elsewhere recorded in a space as `contribution.import` events, whatever its source.

An importer (an account whose role the charter allows `contribution.import`) signs one event
per piece of work, crediting the people who did it: a member when an alias (an e-mail's
hash) they hold names them, otherwise the alias itself, an unclaimed contributor whose value
waits for whoever claims the address. Each piece of work is recorded once: its evidence
(`git:<sha>`, a pull request's address, …) is never imported twice, so an interrupted
import simply runs again. Events are written a thousand to a transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from p2pvalue.accounting.equation import charter_equation
from p2pvalue.accounting.ledger import IMPORT_REVIEW, check
from p2pvalue.accounting.model import Ledger, ValueEvent
from p2pvalue.accounting.money import largest_remainder
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import FULL_SHARE, email_alias, value_policy
from p2pvalue.accounts import Account
from p2pvalue.domain import Wiring
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority
from p2pvalue.events.event import now_ms
from p2pvalue.timekeeping import local_timekeeper

IMPORT = "contribution.import"
BATCH = 1000
MAX_DESCRIPTION = 4000
MAX_NAME = 100


@dataclass(frozen=True)
class Work:
    """One piece of work to import: who did it (e-mails, the author first, and the names
    the source gives them, in the same order, where it gives any), and what."""

    evidence: str
    kind: str
    description: str
    when_ms: int
    emails: tuple[str, ...]
    source: str
    measures: Mapping[str, int] = field(default_factory=dict)
    quantity: int = 1
    unit: str = "units"
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeerReview:
    """A review at the source of a piece of work imported with evidence `of`: who gave it
    (e-mail and name, as for `Work`), their verdict (`approve`, `request_changes` or
    `comment`) and the review's own address as `evidence`."""

    evidence: str
    of: str
    verdict: str
    when_ms: int
    email: str
    name: str
    source: str


@dataclass
class ImportReport:
    """What an import did, piece by piece."""

    imported: int = 0
    already_imported: int = 0
    reviews: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    unclaimed: set[str] = field(default_factory=set)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def importer_of(wiring: Wiring, space: str, name: str | None = None) -> Account:
    """The account that signs an import: `name`'s, or the space's timekeeper on this node;
    refused unless its role allows `contribution.import`."""
    authority = _authority(wiring, space)
    account = (
        wiring.accounts.by_username(name) if name else local_timekeeper(wiring.accounts, authority)
    )
    if account is None:
        raise P2PError("unknown_importer", "no account here may sign this import", 422)
    if not authority.charter.allows(authority.roles_of(account.did), IMPORT):
        message = f"{account.username} may not import contributions here"
        raise P2PError("not_an_importer", message, 403)
    return account


def units_of(wiring: Wiring, space: str) -> dict[str, str]:
    """The unit the space's value equation counts each kind in (empty without a policy)."""
    policy = value_policy(_authority(wiring, space).charter)
    if policy is None:
        return {}
    equation = charter_equation(policy.kinds, policy.equation)
    return {kind: rule.unit for kind, rule in equation.kinds.items()}


def require_units(wiring: Wiring, space: str, wanted: Mapping[str, str]) -> None:
    """Refuse an import before anything is written when the charter lacks one of its kinds,
    or its equation counts one in another unit (the imported work would be stored but
    void): `unknown_kind` or `unit_mismatch` (422)."""
    units = units_of(wiring, space)
    for kind, unit in wanted.items():
        if kind not in units:
            message = f"this space's charter has no kind {kind!r}: add it to import {kind}s"
            raise P2PError("unknown_kind", message, 422)
        if units[kind] != unit:
            message = (f"the value equation counts {kind} in {units[kind]}, but an imported "
                       f"{kind} is {unit}: change the equation first")  # fmt: skip
            raise P2PError("unit_mismatch", message, 422)


def shares(people: list[str], author_share: int | None) -> dict[str, int]:
    """Basis points per contributor (the author first): equal by default, or `author_share`
    for the author and the rest split equally among the co-authors."""
    if len(people) == 1:
        return {people[0]: FULL_SHARE}
    if author_share is None:
        return largest_remainder(FULL_SHARE, dict.fromkeys(people, 1))
    rest = largest_remainder(FULL_SHARE - author_share, dict.fromkeys(people[1:], 1))
    return {people[0]: author_share, **{p: n for p, n in rest.items() if n}}


def record(
    wiring: Wiring, space: str, importer: Account, works: Iterable[Work | PeerReview | str],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:  # fmt: skip
    """Import `works` into `space`, signed by `importer`; idempotent. A string among `works`
    is a piece of the source that does not count, and says why. Each batch's peer reviews
    are written after its work, so a review may follow the work it reviews in the same
    batch."""
    policy = value_policy(_authority(wiring, space).charter)
    if policy is None:
        raise P2PError("value_not_enabled", "this space's charter has no value policy", 422)
    author_share = policy.imports.author_share if policy.imports else None
    key = wiring.accounts.key_of(importer)
    value = wiring.service(Value)
    report, pending = ImportReport(), iter(works)
    while batch := list(islice(pending, BATCH)):
        ledger, actions, reviews = value.ledger(space), [], []
        for work in batch:
            if isinstance(work, str):
                report.skip(work)
            elif isinstance(work, PeerReview):
                reviews.append(work)
            elif work.kind not in policy.kinds:
                report.skip(f"kind {work.kind} not in the charter")
            elif work.evidence in ledger.evidence:
                report.already_imported += 1
            else:
                content = _content(work, ledger.aliases, author_share, report)
                actions.append((key, IMPORT, content))
        _count(wiring.writer.act_many(space, actions) if actions else [], report)
        if reviews:
            attested = _reviews(wiring, space, importer, value.ledger(space), reviews, report)
            outcomes = wiring.writer.act_many(space, [(key, IMPORT_REVIEW, c) for c in attested])
            _count(outcomes, report, reviews=True)
        if progress:
            progress(len(batch))
    return report


def _reviews(
    wiring: Wiring, space: str, importer: Account, ledger: Ledger, reviews: list[PeerReview],
    report: ImportReport,
) -> list[dict[str, Any]]:  # fmt: skip
    """The content of each review to write, checked against the ledger as the node will
    judge it, so that none is stored only to be void; the others are counted by reason."""
    authority = _authority(wiring, space)
    if not authority.charter.allows(authority.roles_of(importer.did), IMPORT_REVIEW):
        for _ in reviews:
            report.skip(f"reviews ({importer.username} may not {IMPORT_REVIEW})")
        return []
    attested, seen, ts = [], set(), now_ms()
    for review in reviews:
        claim = ledger.evidence.get(review.of)
        if review.evidence in ledger.evidence or review.evidence in seen:
            report.already_imported += 1
            continue
        if claim is None:
            report.skip("reviews of work not imported")
            continue
        content = _review_content(review, claim, ledger.aliases, report)
        reason = check(ledger, ValueEvent("-", IMPORT_REVIEW, importer.did, ts, content,
                                          authority))  # fmt: skip
        if reason == "own_claim":
            report.skip("reviews of one's own work")
        elif reason is not None:
            report.refused[reason] = report.refused.get(reason, 0) + 1
        else:
            seen.add(review.evidence)
            attested.append(content)
    return attested


def _review_content(
    review: PeerReview, claim: str, aliases: Mapping[str, str], report: ImportReport
) -> dict[str, Any]:
    alias = email_alias(review.email)
    reviewer = aliases.get(alias, alias)
    content: dict[str, Any] = {
        "claim": claim, "reviewer": reviewer, "verdict": review.verdict,
        "date": review.when_ms, "evidence": review.evidence, "source": review.source,
    }  # fmt: skip
    if reviewer == alias:
        report.unclaimed.add(alias)
        if review.name.strip():
            content["name"] = review.name.strip()[:MAX_NAME]
    return content


def _authority(wiring: Wiring, space: str) -> Authority:
    log = wiring.writer.log(space)
    if log is None or log.authority is None:
        raise P2PError("unknown_space", f"no space {space!r} on this node", 404)
    return log.authority


def _content(
    work: Work, aliases: Mapping[str, str], author_share: int | None, report: ImportReport
) -> dict[str, Any]:
    people: list[str] = []
    named: dict[str, str] = {}
    for email, name in zip(work.emails, (*work.names, *[""] * len(work.emails)), strict=False):
        alias = email_alias(email)
        person = aliases.get(alias, alias)
        if person == alias:
            report.unclaimed.add(alias)
            if name.strip():
                named.setdefault(alias, name.strip()[:MAX_NAME])
        if person not in people:
            people.append(person)
    split = shares(people, author_share)
    content: dict[str, Any] = {
        "kind": work.kind, "description": work.description[:MAX_DESCRIPTION] or "(no text)",
        "quantity": work.quantity, "unit": work.unit, "date": work.when_ms,
        "evidence": [work.evidence], "source": work.source,
        "contributors": [
            {"member": p, "share": split[p], **({"name": named[p]} if p in named else {})}
            for p in people if split.get(p)
        ],
    }  # fmt: skip
    if work.measures:
        content["measures"] = dict(work.measures)
    return content


def _count(outcomes: list[Any], report: ImportReport, reviews: bool = False) -> None:
    for outcome in outcomes:
        if outcome.status == "accepted" and reviews:
            report.reviews += 1
        elif outcome.status == "accepted":
            report.imported += 1
        else:
            code = outcome.code or outcome.status
            report.refused[code] = report.refused.get(code, 0) + 1
