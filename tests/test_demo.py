"""The demo community: what it seeds, that it verifies, and that seeding again adds nothing."""

from __future__ import annotations

from p2pvalue import audit, demo
from p2pvalue.accounting.service import Value
from p2pvalue.governance.proposals import proposals_of
from p2pvalue.governance.service import Governance
from p2pvalue.node import Node
from p2pvalue.store.projections import snapshot


def _decisions(node: Node, space: str) -> list[tuple[str, str, str | None]]:
    names = node.accounts.names([m["did"] for m in node.members(space)])
    return [
        (names.get(e.author, e.author), e.type, e.reason) for e in node.events(space, limit=100)
    ]


def test_demo_seeds_people_and_two_spaces(node: Node) -> None:
    space = demo.seed(node)
    assert [s.name for s in node.spaces()] == [demo.DEMO_SPACE, "Riverside Makers"]
    for person in demo.PEOPLE:
        assert node.accounts.check_password(person, demo.DEMO_PASSWORD).username == person
    summary = node.space(space)
    assert (summary.membership, summary.events, summary.accepted) == ("approval", 28, 27)


def test_demo_members_and_roles(node: Node) -> None:
    space = demo.seed(node)
    names = {p: node.accounts.by_username(p) for p in demo.PEOPLE}
    dids = {p: a.did for p, a in names.items() if a is not None}
    members = {m["did"]: (m["status"], m["roles"]) for m in node.members(space)}
    assert members == {
        dids["alice"]: ("member", ["admin", "member"]),
        dids["bob"]: ("member", ["maintainer", "member"]),
        dids["carol"]: ("member", ["maintainer", "member"]),
        dids["dan"]: ("requested", []),
    }


def test_the_one_refusal_is_dans_post(node: Node) -> None:
    space = demo.seed(node)
    refused = [d for d in _decisions(node, space) if d[2] is not None]
    assert refused == [("dan", "post.create", "not_a_member")]


def test_seeding_twice_changes_nothing(node: Node) -> None:
    first = demo.seed(node)
    with node.engine.begin() as conn:
        before = snapshot(conn)
    assert demo.seed(node) == first
    with node.engine.begin() as conn:
        assert snapshot(conn) == before
    assert len(node.spaces()) == 2


def test_demo_verifies_and_rebuilds_identically(node: Node) -> None:
    demo.seed(node)
    with node.engine.begin() as conn:
        before = snapshot(conn)
    assert audit.rebuild(node) == {"spaces": 2, "events": 28 + 4}
    with node.engine.begin() as conn:
        assert snapshot(conn) == before
    assert [audit.verify(node, s.id) for s in node.spaces()] == [None, None]


def test_demo_has_contributions_and_a_payout(node: Node) -> None:
    space = demo.seed(node)
    ledger = node.service(Value).ledger(space)
    statuses = sorted(claim.status for claim in ledger.claims.values())
    assert statuses == ["accepted", "accepted", "accepted", "pending"]
    assert ledger.balance("EUR") == 20_000
    assert sum(ledger.paid["EUR"].values()) == 30_000


def test_demo_has_a_decided_proposal_and_an_open_one(node: Node) -> None:
    space = demo.seed(node)
    proposals = sorted(
        proposals_of(node.service(Governance).authority(space)).values(), key=lambda p: p.created_ts
    )
    assert [(p.title, p.status) for p in proposals] == [
        ("Carol becomes a maintainer", "enacted"),
        ("Which variant do we build next?", "open"),
    ]
    assert node.service(Governance).recount(proposals[0].id).matches
