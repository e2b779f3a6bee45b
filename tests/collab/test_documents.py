"""Documents folded without a node, and the measure of a pycrdt document's authorship."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Doc, Text

from p2pvalue.collab.documents import fold, measure
from p2pvalue.errors import EventError
from p2pvalue.events.authority import Authority
from p2pvalue.events.authority import AuthorizedEvent as ValueEvent
from p2pvalue.events.charter import charter_from_content
from p2pvalue.events.types import parse_content
from p2pvalue.governance.templates import default_charter

A, B = "did:key:z6MkAnna", "did:key:z6MkBob"
DOC, PROJECT = "d" * 43, "p" * 43
STATE = "ab" * 32


def event(id: str, type: str, author: str, content: dict[str, Any]) -> ValueEvent:
    authority = Authority("space", "Commons", A, charter_from_content(default_charter()))
    return ValueEvent(id, type, author, 1_000 + len(id), content, authority)


def snapshot(doc: str, authors: dict[str, int]) -> dict[str, Any]:
    units = sum(authors.values())
    return {"doc": doc, "state": STATE, "bytes": 40, "units": units, "authors": authors}


def test_documents_and_their_snapshots_fold_in_order() -> None:
    documents = fold("space", [
        event(DOC, "doc.create", A, {"title": "Notes", "project": PROJECT}),
        event("s1", "doc.snapshot", A, snapshot(DOC, {A: 5})),
        event("s22", "doc.snapshot", B, snapshot(DOC, {A: 5, B: 3})),
    ], projects=[PROJECT])  # fmt: skip
    found = documents.by_id[DOC]
    assert (found.title, found.project, found.creator, found.space) == (
        "Notes", PROJECT, A, "space")  # fmt: skip
    assert [s.event for s in found.snapshots] == ["s1", "s22"]
    assert found.latest is not None and found.latest.authors == {A: 5, B: 3}
    assert documents.void == {}


def test_a_snapshot_of_no_document_and_a_document_in_no_project_are_void() -> None:
    documents = fold("space", [
        event(DOC, "doc.create", A, {"title": "Notes", "project": PROJECT}),
        event("s1", "doc.snapshot", A, snapshot("x" * 43, {A: 5})),
    ], projects=[])  # fmt: skip
    assert documents.by_id == {}
    assert documents.void == {DOC: "unknown_project", "s1": "unknown_document"}


@pytest.mark.parametrize(
    ("authors", "extra", "problem"),
    [
        ({A: 0}, {}, "each share is a positive count"),
        ({"not-a-did": 3}, {}, "every entry is a did:key"),
        ({A: 3}, {"units": 4}, "add up to units"),
        ({A: 3}, {"state": "XYZ"}, "state"),
    ],
)
def test_malformed_snapshots_are_refused(
    authors: dict[str, int], extra: dict[str, Any], problem: str
) -> None:
    with pytest.raises(EventError, match=problem):
        parse_content("doc.snapshot", {**snapshot(DOC, authors), **extra})


def test_measure_credits_each_owner_with_their_live_units() -> None:
    alice: Doc[Any] = Doc(client_id=7)
    text = alice.get("content", type=Text)
    text += "hello world"
    bob: Doc[Any] = Doc(client_id=9)
    bob.apply_update(alice.get_update())
    other = bob.get("content", type=Text)
    other.insert(5, " there")
    del other[0:2]
    mallory: Doc[Any] = Doc(client_id=11)
    mallory.apply_update(bob.get_update())
    mallory.get("content", type=Text).insert(0, ">> ")
    found = measure(mallory, {7: A, 9: B})
    assert (found.units, dict(found.authors), found.unattributed) == (18, {A: 9, B: 6}, 3)
    assert found.bytes == len(mallory.get_update())
    assert found.content(DOC)["authors"] == {A: 9, B: 6}
    assert measure(mallory, {7: A, 9: A, 11: A}).authors == {A: 18}
