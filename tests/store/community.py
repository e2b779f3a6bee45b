"""A community built through a real `Node`: three membership policies, every kind of
governance event, refusals, and client-signed events that arrive out of order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from p2pvalue.accounts import Account
from p2pvalue.events.event import Event, build_event
from p2pvalue.ingest import Outcome
from p2pvalue.node import Node
from p2pvalue.store.projections import snapshot

PASSWORD = "correct horse battery"
PEOPLE = ("alice", "bob", "carol", "dan", "erin")


@dataclass
class Community:
    """The node's spaces, and the events whose decisions the tests check by id."""

    node: Node
    people: dict[str, Account]
    spaces: dict[str, str] = field(default_factory=dict)
    decisions: dict[str, str | None] = field(default_factory=dict)
    signed_here: dict[str, Event] = field(default_factory=dict)

    def act(
        self, who: str, space: str, type: str, content: Mapping[str, Any] | None = None
    ) -> Outcome:
        """`who` acts in the named space through `Node.act`; the outcome is remembered."""
        outcome = self.node.act(self.people[who], self.spaces[space], type, dict(content or {}))
        assert outcome.id is not None, outcome
        self.decisions[outcome.id] = outcome.message if outcome.status == "rejected" else None
        return outcome

    def did(self, who: str) -> str:
        return self.people[who].did

    def signed(
        self, who: str, space: str, type: str, content: Mapping[str, Any], prev: Sequence[str]
    ) -> Event:
        """An event signed by `who` on top of `prev` (stored or not), built like a client does."""
        depth = 1 + max(self._depth(p) for p in prev)
        key = self.node.accounts.key_of(self.people[who])
        event = build_event(key, type, content, space=self.spaces[space], prev=prev, depth=depth)
        self.signed_here[event.id] = event
        return event

    def tip(self, space: str) -> str:
        """The newest tip of a space, as `Node.act` would build on."""
        log = self.node.writer.log(self.spaces[space])
        assert log is not None
        return max(log.tips, key=log.position.__getitem__)

    def status(self, event_id: str) -> tuple[bool | None, str | None]:
        stored = self.node.event(event_id)
        return stored.accepted, stored.reason

    def _depth(self, event_id: str) -> int:
        found = self.signed_here.get(event_id)
        depth: int = found.depth if found else self.node.event(event_id).wire["depth"]
        return depth


def build(node: Node) -> Community:
    """Seed `node` with the whole community; every decision along the way is asserted."""
    people = {name: node.accounts.register(name, PASSWORD) for name in PEOPLE}
    community = Community(node, people)
    for name, founder, policy in (
        ("workshop", "alice", "open"),
        ("guild", "alice", "approval"),
        ("circle", "carol", "invite"),
    ):
        created = node.create_space(people[founder], name.title(), membership=policy)
        assert created.status == "accepted" and created.id is not None
        community.spaces[name] = created.id
    _open_space(community)
    _approval_space(community)
    _invite_space(community)
    _concurrent_removal(community)
    _held_until_parent_arrives(community)
    return community


def expect(outcome: Outcome, reason: str | None) -> None:
    """`outcome` was accepted (reason None) or rejected for exactly `reason`."""
    assert (outcome.status, outcome.message) == (
        ("accepted", None) if reason is None else ("rejected", reason)
    ), outcome


def _open_space(c: Community) -> None:
    expect(c.act("bob", "workshop", "member.join"), None)
    expect(c.act("carol", "workshop", "member.join"), None)
    expect(c.act("dan", "workshop", "post.create", {"text": "not yet in"}), "not_a_member")
    expect(c.act("alice", "workshop", "role.grant", _role(c, "bob", "moderator")), None)
    expect(c.act("bob", "workshop", "member.remove", {"member": c.did("carol")}), None)
    expect(c.act("carol", "workshop", "post.create", {"text": "still here?"}), "not_a_member")
    expect(c.act("carol", "workshop", "member.join"), "removed_members_need_invitation")
    expect(c.act("bob", "workshop", "member.invite", {"member": c.did("carol")}), None)
    expect(c.act("carol", "workshop", "member.join"), None)
    expect(c.act("alice", "workshop", "role.revoke", _role(c, "bob", "moderator")), None)
    expect(
        c.act("bob", "workshop", "member.remove", {"member": c.did("carol")}),
        "role_lacks_permission:member.remove",
    )
    expect(c.act("erin", "workshop", "role.grant", _role(c, "erin", "admin")), "not_a_member")
    expect(c.act("bob", "workshop", "member.leave"), None)
    expect(c.act("bob", "workshop", "post.create", {"text": "left already"}), "not_a_member")
    expect(c.act("carol", "workshop", "post.create", {"text": "back again"}), None)


def _approval_space(c: Community) -> None:
    expect(c.act("bob", "guild", "member.request", {"note": "lathe work"}), None)
    expect(c.act("erin", "guild", "member.join"), "approval_required")
    expect(c.act("alice", "guild", "member.admit", {"member": c.did("bob")}), None)
    expect(c.act("carol", "guild", "member.request"), None)
    expect(
        c.act("bob", "guild", "member.admit", {"member": c.did("carol")}),
        "role_lacks_permission:member.admit",
    )
    expect(c.act("alice", "guild", "role.grant", _role(c, "bob", "moderator")), None)
    expect(c.act("bob", "guild", "member.admit", {"member": c.did("carol")}), None)
    expect(c.act("dan", "guild", "member.request"), None)
    expect(c.act("dan", "guild", "member.admit", {"member": c.did("dan")}), "not_a_member")
    expect(c.act("erin", "guild", "member.request", {"note": "welder"}), None)
    expect(c.act("carol", "guild", "post.create", {"text": "hello guild"}), None)


def _invite_space(c: Community) -> None:
    expect(c.act("dan", "circle", "member.join"), "invitation_required")
    expect(c.act("carol", "circle", "member.invite", {"member": c.did("dan")}), None)
    expect(c.act("dan", "circle", "member.join"), None)
    expect(c.act("dan", "circle", "member.invite", {"member": c.did("erin")}), None)
    expect(c.act("erin", "circle", "member.join"), None)
    expect(c.act("erin", "circle", "post.create", {"text": "thanks for the invite"}), None)
    expect(c.act("dan", "circle", "member.request"), "already_a_member")
    expect(
        c.act("erin", "circle", "member.remove", {"member": c.did("dan")}),
        "role_lacks_permission:member.remove",
    )


def _concurrent_removal(c: Community) -> None:
    """Bob acts on an old tip while Alice removes him concurrently: his actions flip, and
    Alice's next action does not build on them."""
    fork = c.tip("guild")
    post = c.signed("bob", "guild", "post.create", {"text": "on my own branch"}, [fork])
    admit = c.signed("bob", "guild", "member.admit", {"member": c.did("erin")}, [post.id])
    for outcome in c.node.ingest([post.wire, admit.wire]):
        expect(outcome, None)
    assert c.status(post.id) == (True, None)
    assert c.status(admit.id) == (True, None)

    removal = c.signed("alice", "guild", "member.remove", {"member": c.did("bob")}, [fork])
    (outcome,) = c.node.ingest([removal.wire])
    expect(outcome, None)
    revoked = f"revoked_concurrently:{removal.id}"
    assert c.status(post.id) == (False, revoked)
    assert c.status(admit.id) == (False, revoked)

    late = c.signed("bob", "guild", "post.create", {"text": "from the old fork"}, [fork])
    (outcome,) = c.node.ingest([late.wire])
    expect(outcome, revoked)
    merged = c.act("alice", "guild", "post.create", {"text": "merging the branches"})
    expect(merged, None)
    # It builds on the accepted events, not on the rejected branch, which stays a branch
    # no accepted event descends from (docs/security-flood.md).
    assert c.node.event(merged.id or "").wire["prev"] == [removal.id]
    expect(c.act("erin", "guild", "post.create", {"text": "was I admitted?"}), "not_a_member")
    c.decisions.update({post.id: revoked, admit.id: revoked, late.id: revoked,
                        removal.id: None})  # fmt: skip


def _held_until_parent_arrives(c: Community) -> None:
    """A child that arrives before its parent waits, and is decided once the parent comes."""
    parent = c.signed("carol", "workshop", "post.create", {"text": "parent"}, [c.tip("workshop")])
    child = c.signed("carol", "workshop", "post.create", {"text": "child"}, [parent.id])
    (waiting,) = c.node.ingest([child.wire], hold_missing=True)
    assert (waiting.status, waiting.code) == ("pending", "missing_ancestors")
    (arrived,) = c.node.ingest([parent.wire], hold_missing=True)
    expect(arrived, None)
    assert c.status(child.id) == (True, None)
    c.decisions.update({parent.id: None, child.id: None})


def _role(c: Community, who: str, role: str) -> dict[str, str]:
    return {"member": c.did(who), "role": role}


def projections_of(node: Node) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection row of `node`, in a stable order."""
    with node.engine.begin() as conn:
        return snapshot(conn)
