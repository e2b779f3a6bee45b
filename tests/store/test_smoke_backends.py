"""The write path on each backend: a space, a member, a refusal, all through `Node`."""

from __future__ import annotations

from p2pvalue.node import Node


def test_space_life_on_each_backend(node: Node) -> None:
    alice = node.accounts.register("alice", "correct horse")
    bob = node.accounts.register("bob", "correct horse")
    space = node.create_space(alice, "Commons").id
    assert space is not None
    assert node.act(bob, space, "post.create", {"text": "hi"}).message == "not_a_member"
    assert node.act(bob, space, "member.join", {}).status == "accepted"
    assert node.act(bob, space, "post.create", {"text": "hi"}).status == "accepted"
    summary = node.space(space)
    assert (summary.events, summary.accepted) == (4, 3)
    assert {m["did"]: m["roles"] for m in node.members(space)} == {
        alice.did: ["admin", "member"],
        bob.did: ["member"],
    }
