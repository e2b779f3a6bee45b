"""Notifications on a real node (SQLite and PostgreSQL): a mention, a review requested, a
task assigned and a proposal each reach the right member only, go away once resolved, and
filter by kind and limit; the review rule's role, with plain values."""

from __future__ import annotations

from typing import Any

import pytest

from p2pvalue.accounting.model import Claim, Ledger
from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.social.notifications import reviews_requested

PASSWORD = "correct horse battery"
CLAIM = {"kind": "code", "description": "Parser  fix", "quantity": 1, "unit": "hours"}


def _community(node: Node) -> tuple[str, list[Account]]:
    people = [node.accounts.register(n, PASSWORD) for n in ("ann", "ben", "cat", "dan")]
    charter = default_charter("open")
    charter["value"]["acceptance"]["approvals"] = 2
    space = str(node.create_space(people[0], "Guild", charter=charter).id)
    for person in people[1:]:
        assert node.act(person, space, "member.join", {}).status == "accepted"
    return space, people


def _act(
    node: Node, who: Account, space: str, type: str, content: dict[str, Any], ts: int | None = None
) -> str:
    outcome = node.act(who, space, type, content, ts=ts)
    assert outcome.status == "accepted", outcome
    return str(outcome.id)


def _kinds(node: Node, who: Account, kind: str) -> list[str]:
    link = {"mention": "post", "review_requested": "claim", "task_assigned": "task"}[kind]
    return [n[link] for n in node.service(Social).notifications.of(who.did, kind)]


def test_each_kind_reaches_the_right_member_until_resolved(node: Node) -> None:
    space, (ann, ben, cat, dan) = _community(node)
    asking = {"on": {"kind": "space"}, "title": "Lathe", "text": "@cat and @ben can help?"}
    post = _act(node, ben, space, "thread.create", asking)
    claim = _act(node, ann, space, "contribution.claim", CLAIM)
    task = _act(node, ann, space, "task.create", {"title": "Oil the lathe", "labels": []})
    _act(node, ann, space, "task.assign", {"task": task, "assignees": [dan.did]})
    proposal = str(
        node.service(Governance)
        .propose(ann, space, {"title": "Rename", "action": {"type": "text"}})
        .id
    )

    assert [_kinds(node, p, "mention") for p in (ann, ben, cat, dan)] == [[], [], [post], []]
    assert [_kinds(node, p, "review_requested") for p in (ann, ben, cat)] == [[], [claim], [claim]]
    assert [_kinds(node, p, "task_assigned") for p in (ann, cat, dan)] == [[], [], [task]]
    mention = node.service(Social).notifications.of(cat.did, "mention")[0]
    assert (mention["space"], mention["space_name"], mention["title"]) == (space, "Guild", "Lathe")
    assert (
        node.service(Social).notifications.of(ben.did, "review_requested")[0]["title"]
        == "Parser fix"
    )
    governance = [n for n in node.service(Social).notifications.of(ben.did) if "proposal" in n]
    assert [(n["proposal"], n["kind"]) for n in governance] == [(proposal, "proposal_opened")]

    _act(node, ben, space, "contribution.review", {"claim": claim, "verdict": "approve"})
    assert (_kinds(node, ben, "review_requested"), _kinds(node, cat, "review_requested")) == (
        [], [claim])  # fmt: skip
    _act(node, cat, space, "contribution.review", {"claim": claim, "verdict": "approve"})
    assert _kinds(node, dan, "review_requested") == []
    _act(node, dan, space, "task.submit", {"task": task})
    assert (
        node.service(Social).notifications.of(dan.did, "task_assigned")[0]["status"] == "in_review"
    )
    _act(node, ann, space, "task.done", {"task": task})
    assert _kinds(node, dan, "task_assigned") == []


def test_notifications_are_newest_first_filtered_and_limited(node: Node) -> None:
    space, (ann, ben, cat, _) = _community(node)
    base = node.clock()
    claims = [_act(node, ann, space, "contribution.claim", {**CLAIM, "description": f"c{i}"},
                   base + i) for i in range(3)]  # fmt: skip
    hello = {"on": {"kind": "space"}, "title": "Hi", "text": "hello @cat"}
    post = _act(node, ben, space, "thread.create", hello, base + 5)

    every = node.service(Social).notifications.of(cat.did)
    assert [n["ts"] for n in every] == sorted((n["ts"] for n in every), reverse=True)
    assert {n.get("post") or n.get("claim") for n in every} == {post, *claims}
    assert [n["kind"] for n in node.service(Social).notifications.of(cat.did, limit=1)] == [
        "mention"
    ]
    assert len(node.service(Social).notifications.of(cat.did, "review_requested", limit=2)) == 2
    assert node.service(Social).notifications.of(cat.did, "outcome") == []
    with pytest.raises(P2PError, match=r"^unknown_notification_kind:"):
        node.service(Social).notifications.of(cat.did, "likes")
    with pytest.raises(P2PError, match=r"^bad_limit:"):
        node.service(Social).notifications.of(cat.did, limit=201)


def _claim(author: str, status: str = "pending") -> Claim:
    return Claim(id="c1", author=author, kind="code", description="x", quantity=1,
                 unit="hours", currency=None, paid=False, ts=1, when=1, evidence=(),
                 project=None, shares={author: 1}, status=status)  # fmt: skip


def test_only_holders_of_the_acceptance_role_are_asked_to_review() -> None:
    ledger = Ledger(claims={"c1": _claim("ann")})
    reviewer, member = frozenset({"reviewer"}), frozenset({"member"})
    assert [n["claim"] for n in reviews_requested(ledger, "ben", reviewer, "reviewer")] == ["c1"]
    assert list(reviews_requested(ledger, "ben", member, "reviewer")) == []
    assert [n["claim"] for n in reviews_requested(ledger, "ben", member, None)] == ["c1"]
    assert list(reviews_requested(ledger, "ann", member, None)) == []
    closed = Ledger(claims={"c1": _claim("ann", "accepted")})
    assert list(reviews_requested(closed, "ben", member, None)) == []


def test_reviews_decisions_and_payouts_reach_the_member_they_concern(node: Node) -> None:
    space, (ann, ben, cat, dan) = _community(node)
    claim = _act(node, ben, space, "contribution.claim", CLAIM)
    review = _act(node, ann, space, "contribution.review", {"claim": claim, "verdict": "approve"})
    _act(node, cat, space, "contribution.review", {"claim": claim, "verdict": "approve"})
    income = {"amount": 1250, "currency": "EUR", "source": "grant"}
    _act(node, ann, space, "income.record", income)
    payout = node.service(Value).pay_out(ann, space, "EUR", 1250)
    assert payout.status == "accepted", payout

    notes = node.service(Social).notifications.of(ben.did)
    received = [n for n in notes if n["kind"] == "review_received"]
    assert {(n["by"], n["verdict"]) for n in received} == {
        (ann.did, "approve"), (cat.did, "approve")}  # fmt: skip
    assert f"review_received:{review}" in {n["id"] for n in received}
    (decided,) = [n for n in notes if n["kind"] == "claim_decided"]
    assert (decided["id"], decided["status"]) == (f"claim_decided:{claim}", "accepted")
    (paid,) = [n for n in notes if n["kind"] == "payout"]
    allocated = node.service(Value).ledger(space).payouts[-1].allocations[ben.did]
    assert (paid["id"], paid["amount"], paid["currency"]) == (
        f"payout:{payout.id}",
        allocated,
        "EUR",
    )
    assert 0 < allocated < 1250  # the reviewers' share of value goes to them
    assert node.service(Social).notifications.of(dan.did, "payout") == []
    assert node.service(Social).notifications.of(ann.did, "review_received") == []


def test_a_notification_keeps_its_id_and_is_marked_read_per_member(node: Node) -> None:
    space, (ann, ben, cat, _) = _community(node)
    post = _act(node, ann, space, "thread.create",
                {"on": {"kind": "space"}, "title": "Hi", "text": "@ben @cat look"})  # fmt: skip
    claim = _act(node, ann, space, "contribution.claim", CLAIM)
    notifications = node.service(Social).notifications
    ids = [n["id"] for n in notifications.of(ben.did)]
    assert sorted(ids) == sorted([f"mention:{post}", f"review_requested:{claim}"])
    assert [n["id"] for n in notifications.of(ben.did)] == ids  # derived again, same ids
    assert (notifications.unread(ben.did), notifications.unread(cat.did)) == (2, 2)

    assert notifications.mark_read(ben.did, [f"mention:{post}", "mention:not-his"]) == 1
    assert notifications.mark_read(ben.did, [f"mention:{post}"]) == 0
    assert {n["id"]: n["read"] for n in notifications.of(ben.did)} == {
        f"mention:{post}": True, f"review_requested:{claim}": False}  # fmt: skip
    assert (notifications.unread(ben.did), notifications.unread(cat.did)) == (1, 2)
    assert notifications.mark_read(ben.did) == 1
    assert notifications.unread(ben.did) == 0


def test_a_join_request_reaches_who_may_admit_and_an_invitation_its_invitee(node: Node) -> None:
    ann, ben, cat, dan = (node.accounts.register(n, PASSWORD) for n in ("ann", "ben", "cat", "dan"))
    charter = default_charter("approval")
    space = str(node.create_space(ann, "Seed Library", charter=charter).id)
    _act(node, ann, space, "member.invite", {"member": ben.did})
    _act(node, ben, space, "member.join", {})
    asked = _act(node, cat, space, "member.request", {"note": "I keep seeds"})
    invited = _act(node, ann, space, "member.invite", {"member": dan.did})
    notes = node.service(Social).notifications

    requests = notes.of(ann.did, "join_request")
    assert [(n["member"], n["title"], n["space"]) for n in requests] == [
        (cat.did, "cat asks to join", space)
    ]
    assert requests[0]["ts"] == node.event(asked).ts
    assert notes.of(ben.did, "join_request") == []  # a plain member may not admit
    invitations = notes.of(dan.did, "invitation")
    assert [(n["member"], n["title"]) for n in invitations] == [(ann.did, "ann invites you")]
    assert invitations[0]["ts"] == node.event(invited).ts

    _act(node, ann, space, "member.decline", {"member": cat.did})
    _act(node, dan, space, "member.join", {})
    assert notes.of(ann.did, "join_request") == []
    assert notes.of(dan.did, "invitation") == []
