"""A pull request's reviews, read from Perceval's GitHub items, as peer reviews of the
contribution imported for that pull request: they count toward its acceptance by the
charter's rule, are the reviewers' review work, and are imported once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import email_alias
from p2pvalue.accounts import Account
from p2pvalue.governance.templates import default_charter
from p2pvalue.importers.contributions import PeerReview, Work
from p2pvalue.importers.perceval import import_perceval, perceval_works
from p2pvalue.node import Node

TEXT = (Path(__file__).parent / "data" / "perceval_github_reviews.json").read_text()
PULL = "https://github.com/octo-org/firmware/pull/90"
PASSWORD = "correct horse"
ANN, BOB = "ann@example.org", "bob@example.org"
CAROL = "13+carolk@users.noreply.github.com"


def space_with(node: Node, imports: dict[str, Any]) -> tuple[str, Account]:
    alice = node.accounts.register("alice", PASSWORD)
    charter = default_charter("open")
    charter["value"]["kinds"] = [*charter["value"]["kinds"], "pull_request"]
    charter["value"]["imports"] = imports
    return str(node.create_space(alice, "Firmware", charter=charter).id), alice


def told(piece: Work | PeerReview | str) -> tuple[str, ...]:
    if isinstance(piece, str):
        return ("left out", piece)
    if isinstance(piece, PeerReview):
        return (piece.verdict, piece.evidence.rsplit("-", 1)[1], piece.email, piece.of)
    return (piece.kind, piece.evidence, *piece.emails)


def test_each_submitted_review_is_a_peer_review_of_the_pull_request() -> None:
    assert [told(piece) for piece in perceval_works(TEXT)] == [
        ("pull_request", PULL, ANN),
        ("request_changes", "301", BOB, PULL),
        ("comment", "302", CAROL, PULL),
        ("comment", "303", ANN, PULL),
        ("left out", "bots and deleted users"),
        ("left out", "reviews not submitted or dismissed"),
        ("approve", "306", BOB, PULL),
        ("review", f"{PULL}#merged", BOB),
    ]


def test_an_approval_at_the_source_completes_acceptance_once(node: Node) -> None:
    space, _ = space_with(node, {"accept": False})
    report = import_perceval(node.wiring, space, TEXT)
    assert (report.imported, report.reviews, report.refused) == (2, 3, {})
    assert report.skipped == {"bots and deleted users": 1, "reviews of one's own work": 1,
                              "reviews not submitted or dismissed": 1}  # fmt: skip
    ledger = node.service(Value).ledger(space)
    pull = ledger.claims[ledger.evidence[PULL]]
    bob, carol = email_alias(BOB), email_alias(CAROL)
    assert {who: r.verdict for who, r in pull.reviews.items()} == {bob: "approve", carol: "comment"}
    assert pull.status == "accepted"
    assert pull.decided_by == pull.reviews[bob].event  # Bob's approval, after his request
    assert ledger.labels()[bob] == "Bob Stone" and ledger.labels()[carol] == "Carol King"
    merged = ledger.claims[ledger.evidence[f"{PULL}#merged"]]
    assert merged.status == "pending"  # the merge is review work of its own, not reviewed
    values, review = ledger.member_values(), merged.valued
    assert review is not None and pull.valued is not None
    assert values[bob] == values[carol] == review.value  # one unit of review work each
    assert values[email_alias(ANN)] == pull.valued.value
    events = node.space(space).events
    again = import_perceval(node.wiring, space, TEXT)
    assert (again.imported, again.reviews, again.already_imported) == (0, 0, 5)
    assert node.space(space).events == events


def test_reviews_of_work_accepted_on_import_are_kept_as_review_work(node: Node) -> None:
    space, _ = space_with(node, {"accept": True})
    assert import_perceval(node.wiring, space, TEXT).reviews == 3
    ledger = node.service(Value).ledger(space)
    pull = ledger.claims[ledger.evidence[PULL]]
    assert pull.status == "accepted" and pull.decided_by == pull.id  # on import, not by review
    assert ledger.member_values()[email_alias(CAROL)] > 0


def test_a_reviewer_who_holds_their_address_reviews_as_the_member(node: Node) -> None:
    space, alice = space_with(node, {"accept": False})
    bob = node.accounts.register("bob", PASSWORD)
    assert node.act(bob, space, "member.join", {}).status == "accepted"
    assert node.act(bob, space, "alias.claim", {"alias": email_alias(BOB)}).status == "accepted"
    node.act(alice, space, "alias.confirm", {"member": bob.did, "alias": email_alias(BOB)})
    import_perceval(node.wiring, space, TEXT)
    ledger = node.service(Value).ledger(space)
    pull = ledger.claims[ledger.evidence[PULL]]
    assert pull.reviews[bob.did].verdict == "approve" and pull.status == "accepted"
    assert email_alias(BOB) not in ledger.unclaimed


def test_an_importer_without_the_review_right_leaves_reviews_for_later(node: Node) -> None:
    alice = node.accounts.register("alice", PASSWORD)
    charter = default_charter("open")
    charter["value"]["kinds"] = [*charter["value"]["kinds"], "pull_request"]
    charter["roles"]["importer"] = ["contribution.import"]
    space = str(node.create_space(alice, "Firmware", charter=charter).id)
    robot = node.accounts.register("robot", PASSWORD)
    assert node.act(robot, space, "member.join", {}).status == "accepted"
    node.act(alice, space, "role.grant", {"member": robot.did, "role": "importer"})
    report = import_perceval(node.wiring, space, TEXT, robot)
    assert (report.imported, report.reviews) == (2, 0)
    assert report.skipped["reviews (robot may not contribution.import_review)"] == 4
    later = import_perceval(node.wiring, space, TEXT)  # by the admin, who may
    assert (later.imported, later.already_imported, later.reviews) == (0, 2, 3)
