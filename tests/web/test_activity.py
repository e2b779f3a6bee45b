"""Activity told in sentences: every registered event type has words, names link to
profiles, what a member typed is escaped, and bookkeeping is not told."""

from __future__ import annotations

from typing import Any

from p2pvalue.domains import DOMAINS, catalog
from p2pvalue.web.activity import Phrasebook
from p2pvalue.web.phrasing import Happening, Scene

CAROL, BOB, ALICE = (f"did:key:z6Mk{name}" for name in ("Carol", "Bob", "Alice"))
NAMES = {CAROL: "carol", BOB: "bob", ALICE: "alice"}
BOOK = Phrasebook.of(DOMAINS)


def event(id: str, type: str, author: str, **content: Any) -> Happening:
    return Happening(id, type, author, "S", 0, content)


def scene(*known: Happening) -> Scene:
    held = {e.id: e for e in known}
    return Scene("S", lambda did: NAMES.get(did, did), held.get)


def test_every_event_type_a_node_knows_has_a_phrase() -> None:
    assert [t for t in catalog().kinds if not BOOK.knows(t)] == []


def test_a_shared_claim_and_its_review_are_told_about_people() -> None:
    shares = [{"member": CAROL, "share": 7000}, {"member": BOB, "share": 3000}]
    claim = event("C1", "contribution.claim", CAROL, kind="code", unit="hours", quantity=3,
                  description="Fix the login bug", contributors=shares)  # fmt: skip
    review = event("R1", "contribution.review", ALICE, claim="C1", verdict="approve", reason="")
    told = BOOK.line(claim, scene())
    assert told is not None
    assert str(told.sentence) == (
        f'<a href="/members/{CAROL}">carol</a> and <a href="/members/{BOB}">bob</a> claimed '
        '<a href="/spaces/S/value#claim-C1">“Fix the login bug”</a> — 3 h of code'
    )
    reviewed = BOOK.line(review, scene(claim))
    assert reviewed is not None and reviewed.sentence.striptags() == (
        "alice approved carol's claim “Fix the login bug”"
    )


def test_money_is_told_in_currency_units_and_typed_text_is_escaped() -> None:
    income = event("I1", "income.record", ALICE, amount=10_050, currency="EUR",
                   source="<script>x</script>")  # fmt: skip
    told = BOOK.line(income, scene())
    assert told is not None
    assert "100.50 EUR" in told.sentence
    assert "<script>" not in told.sentence and "&lt;script&gt;" in told.sentence


def test_bookkeeping_is_not_told_and_an_unknown_type_is_told_plainly() -> None:
    assert BOOK.line(event("T1", "clock.tick", ALICE, events=[]), scene()) is None
    unknown = BOOK.line(event("X1", "guestbook.sign", ALICE), scene())
    assert unknown is not None
    assert unknown.sentence.striptags() == "alice did something this node has no words for yet"


def test_an_event_whose_content_was_erased_is_still_told() -> None:
    for type in catalog().kinds:
        told = BOOK.line(event("E1", type, ALICE), scene())
        assert told is None or told.sentence.striptags().startswith(("alice", "The ", "a ")), type


def test_a_declined_request_an_import_and_an_affiliation_are_told() -> None:
    declined = BOOK.line(event("D1", "member.decline", ALICE, member=BOB), scene())
    imported = BOOK.line(event("M1", "contribution.import", ALICE, kind="code", unit="units",
                               quantity=2, description="Fix", source="github",
                               contributors=[{"member": "email-sha256:" + "a" * 43, "share": 10000,
                                             "name": "Ann"}]),
                         scene())  # fmt: skip
    declared = BOOK.line(event("A1", "affiliation.declare", BOB, organisation="Coop"), scene())
    assert declined is not None and imported is not None and declared is not None
    assert declined.sentence.striptags() == "alice declined the request of bob to join"
    assert imported.sentence.striptags() == (
        "alice imported “Fix” by Ann (not yet claimed) from github — 2 units of code"
    )
    assert "email-sha256" not in imported.sentence
    assert declared.sentence.striptags() == "bob said they work for “Coop”"


def test_an_imported_review_names_the_reviewer_and_the_verdict() -> None:
    claim = event("C1", "contribution.import", ALICE, kind="code", unit="units", quantity=1,
                  description="Watchdog", source="perceval:github",
                  contributors=[{"member": CAROL, "share": 10000}])  # fmt: skip
    review = event("R1", "contribution.import_review", ALICE, claim="C1", verdict="request_changes",
                   reviewer="email-sha256:" + "b" * 43, name="Bob Stone",
                   source="perceval:github")  # fmt: skip
    told = BOOK.line(review, scene(claim))
    assert told is not None and told.sentence.striptags() == (
        "alice imported from perceval:github that Bob Stone (not yet claimed) asked for "
        "changes to alice's claim “Watchdog”"
    )
    assert "email-sha256" not in told.sentence
