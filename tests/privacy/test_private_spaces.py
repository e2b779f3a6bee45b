"""Private spaces on real nodes (each its own store): members read what is sealed, a node
with no member on it keeps, verifies and relays events it cannot read and holds no
plaintext, a removal rotates the key, and bad sealed input is refused with nothing stored.

Events travel between the nodes as replication carries them: each node's exported log
ingested by the other through its one write path (the HTTP transport has tests of its own).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from clock import MovableClock, advance
from conftest import LIGHT_HASHING
from p2pvalue.accounts import Account
from p2pvalue.config import init_data_dir
from p2pvalue.errors import P2PError
from p2pvalue.events.event import build_event
from p2pvalue.events.sealing import key_id, new_key, seal_content, wrap
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.rights.export import member_archive
from p2pvalue.store import projections
from p2pvalue.store.schema import metadata

HOUR = 3_600_000
SECRETS = (b"the secret plan", b"Hidden Garden", b"after the removal", b"bob was here")


def _node(root: Path, name: str, url: str | None = None) -> Node:
    config = init_data_dir(root / name, url)
    return Node(config, password_hasher=LIGHT_HASHING, clock=MovableClock())


@pytest.fixture
def nodes(tmp_path: Path, database_url: str | None) -> Iterator[tuple[Node, Node, Node]]:
    """A (alice's home, on each backend), B (bob's) and R (a relay with no members)."""
    with (
        _node(tmp_path, "a", database_url) as a,
        _node(tmp_path, "b") as b,
        _node(tmp_path, "r") as r,
    ):
        yield a, b, r


def _copy(source: Node, target: Node, space: str) -> list[str]:
    """Carry the source's log to the target; the outcome of each event, by status."""
    wires = [orjson.loads(body) for body in source.export(space)]
    return [o.status for o in target.ingest(wires, hold_missing=True)]


def _accepted(outcome: Any) -> str:
    assert outcome.status == "accepted", outcome
    assert outcome.id is not None
    return str(outcome.id)


def _found(node: Node, secret: bytes) -> list[str]:
    """Every table and column of the node's database where `secret` appears."""
    hits = []
    with node.engine.begin() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for column, value in row._mapping.items():
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    if secret in raw:
                        hits.append(f"{table.name}.{column}")
    return hits


def _found_on_disk(node: Node, secret: bytes) -> bool:
    path = node.config.data_dir
    return any(secret in f.read_bytes() for f in path.rglob("*") if f.is_file())


def _with_bob(a: Node, b: Node, alice: Account, space: str) -> Account:
    """Bob, on node B, invited by alice, holding the space's log and a member of it."""
    bob = b.accounts.register("bob", "a long password")
    _accepted(a.act(alice, space, "member.invite", {"member": bob.did}))
    _copy(a, b, space)
    _accepted(b.act(bob, space, "member.join", {}))
    return bob


def _private_space(a: Node) -> tuple[Account, str]:
    alice = a.accounts.register("alice", "a long password")
    space = _accepted(
        a.create_space(alice, "Hidden Garden", "seeds", membership="invite", private=True)
    )
    _accepted(a.act(alice, space, "post.create", {"text": "the secret plan"}))
    return alice, space


def test_members_read_a_private_space_and_a_relay_holds_no_plaintext(
    nodes: tuple[Node, Node, Node],
) -> None:
    a, _, r = nodes
    _, space = _private_space(a)

    assert a.space(space).name == "Hidden Garden"
    posts = [e.content for e in a.events(space) if e.type == "post.create"]
    assert posts == [{"text": "the secret plan"}]

    assert set(_copy(a, r, space)) == {"accepted"}
    summary = r.space(space)
    assert (summary.name, summary.events, summary.accepted) == ("", 2, 0)
    assert {e.reason for e in r.events(space)} == {"sealed"}
    assert r.members(space) == []
    for secret in SECRETS:
        assert _found(r, secret) == []
    r.close()
    assert not _found_on_disk(r, b"the secret plan")

    # What the relay holds is the log itself: signed, verifiable, passed on unchanged.
    assert list(r.export(space)) == list(a.export(space))


def test_an_invited_member_on_another_node_reads_history_and_joins(
    nodes: tuple[Node, Node, Node],
) -> None:
    a, b, r = nodes
    alice, space = _private_space(a)
    bob = b.accounts.register("bob", "a long password")
    _accepted(a.act(alice, space, "member.invite", {"member": bob.did}))

    # Bob's node gets the log through the relay, which still reads nothing of it.
    _copy(a, r, space)
    assert r.space(space).name == ""
    _copy(r, b, space)
    assert b.space(space).name == "Hidden Garden"
    assert [e.content for e in b.events(space) if e.type == "post.create"] == [
        {"text": "the secret plan"}]  # fmt: skip

    _accepted(b.act(bob, space, "member.join", {}))
    _accepted(b.act(bob, space, "post.create", {"text": "bob was here"}))
    assert set(_copy(b, a, space)) <= {"accepted", "duplicate"}
    statuses = {m["did"]: m["status"] for m in a.members(space)}
    assert statuses == {alice.did: "member", bob.did: "member"}
    _copy(b, r, space)
    assert _found(r, b"bob was here") == []

    _same_projections(a, b)
    for node in (a, b):
        before = _snapshot(node, space)
        node.writer.rebuild()
        assert _snapshot(node, space) == before


def test_a_removal_rotates_the_key_and_the_removed_member_reads_nothing_after(
    nodes: tuple[Node, Node, Node],
) -> None:
    a, b, _ = nodes
    alice, space = _private_space(a)
    bob = _with_bob(a, b, alice, space)
    _copy(b, a, space)
    kid_before, _ = a.writer.space_keys(space)

    _accepted(a.act(alice, space, "member.remove", {"member": bob.did}))
    kid_after, keys = a.writer.space_keys(space)
    assert kid_after != kid_before and kid_before in keys
    _accepted(a.act(alice, space, "post.create", {"text": "after the removal"}))

    outcomes = _copy(a, b, space)
    assert outcomes.count("refused") == 1
    refused = [o for o in b.ingest([orjson.loads(x) for x in a.export(space)])
               if o.status == "refused"]  # fmt: skip
    assert [o.code for o in refused] == ["unknown_space_key"]
    assert _found(b, b"after the removal") == []
    rotation = [e for e in b.events(space) if e.type == "space.key"][-1]
    assert bob.did not in rotation.wire["content"]["wraps"]


def test_keys_survive_a_restart(tmp_path: Path) -> None:
    with _node(tmp_path, "a") as a:
        _, space = _private_space(a)
    with _node(tmp_path, "a") as again:
        assert again.space(space).name == "Hidden Garden"
        alice = again.accounts.by_username("alice")
        assert alice is not None
        _accepted(again.act(alice, space, "post.create", {"text": "still here"}))
        texts = [
            (e.content or {}).get("text") for e in again.events(space) if e.type == "post.create"
        ]
        assert texts == ["the secret plan", "still here"]


def _event_on_tips(node: Node, space: str, key: Any, type: str, content: Any) -> dict[str, Any]:
    log = node.writer.log(space)
    assert log is not None
    tips = sorted(log.tips)
    depth = 1 + max(log.entries[t].depth for t in tips)
    return build_event(key, type, content, space=space, prev=tips, depth=depth).wire


def test_bad_sealed_input_is_refused_and_nothing_stored(nodes: tuple[Node, Node, Node]) -> None:
    a, b, _ = nodes
    alice, space = _private_space(a)
    key = a.accounts.key_of(alice)
    kid, keys = a.writer.space_keys(space)
    assert kid is not None
    stranger = b.accounts.register("mallory", "a long password")
    wrong_key = new_key()
    cases = {
        "undecryptable_content": seal_content(wrong_key, "post.create", alice.did, {"text": "x"})
        | {"space_key": kid},
        "unsealed_content": {"text": "in the clear"},
    }
    for code, content in cases.items():
        wire = _event_on_tips(a, space, key, "post.create", content)
        outcome = a.ingest([wire])[0]
        assert (outcome.status, outcome.code) == ("refused", code)
    # Sealed by the right key for another author: the ciphertext is bound to its author.
    moved = seal_content(keys[kid], "post.create", stranger.did, {"text": "x"})
    outcome = a.ingest([_event_on_tips(a, space, key, "post.create", moved)])[0]
    assert outcome.code == "undecryptable_content"

    wraps = {stranger.did: wrap(stranger.did, keys[kid])}
    leak = _event_on_tips(a, space, key, "space.key", {"space_key": kid, "wraps": wraps})
    outcome = a.ingest([leak])[0]
    assert (outcome.status, outcome.code, outcome.http_status) == (
        "refused", "wrapped_for_non_member", 403)  # fmt: skip

    public = _accepted(a.create_space(alice, "Open Field"))
    sealed = seal_content(new_key(), "post.create", alice.did, {"text": "x"})
    outcome = a.ingest([_event_on_tips(a, public, key, "post.create", sealed)])[0]
    assert outcome.code == "sealed_in_public_space"
    other = new_key()
    keyed = {"space_key": key_id(other), "wraps": {alice.did: wrap(alice.did, other)}}
    outcome = a.ingest([_event_on_tips(a, public, key, "space.key", keyed)])[0]
    assert outcome.code == "space_not_private"

    assert a.space(space).events == 2
    assert [e.content for e in a.events(space) if e.type == "post.create"] == [
        {"text": "the secret plan"}]  # fmt: skip


def test_a_private_space_is_joined_by_invitation(nodes: tuple[Node, Node, Node]) -> None:
    a, _, _ = nodes
    alice = a.accounts.register("alice", "a long password")
    with pytest.raises(P2PError) as refused:
        a.create_space(alice, "Open but private", membership="open", private=True)
    assert refused.value.code == "private_space_needs_invitations"


def _snapshot(node: Node, space: str) -> dict[str, list[tuple[Any, ...]]]:
    with node.engine.begin() as conn:
        return projections.snapshot(conn)


def _same_projections(a: Node, b: Node) -> None:
    with a.engine.begin() as one, b.engine.begin() as two:
        mine, theirs = projections.snapshot(one), projections.snapshot(two)
    for table in ("event_status", "members", "heads"):
        assert mine[table] == theirs[table], table


def test_a_member_leaving_rotates_the_key_on_a_remaining_members_node(
    nodes: tuple[Node, Node, Node],
) -> None:
    a, b, _ = nodes
    alice, space = _private_space(a)
    bob = _with_bob(a, b, alice, space)
    kid_before, _ = b.writer.space_keys(space)

    _accepted(b.act(bob, space, "member.leave", {}))
    assert b.writer.space_keys(space)[0] == kid_before  # bob's node has no one to rotate for
    _copy(b, a, space)
    kid_after, _ = a.writer.space_keys(space)
    assert kid_after not in (None, kid_before)
    rotation = [e for e in a.events(space) if e.type == "space.key"][-1]
    assert set(rotation.wire["content"]["wraps"]) == {alice.did}
    _accepted(a.act(alice, space, "post.create", {"text": "after the removal"}))
    _copy(a, b, space)
    assert _found(b, b"after the removal") == []


def test_erasure_in_a_private_space_removes_the_opened_content_too(
    nodes: tuple[Node, Node, Node],
) -> None:
    a, _, _ = nodes
    alice, space = _private_space(a)
    post = next(e.id for e in a.events(space) if e.type == "post.create")
    _accepted(a.act(alice, space, "content.erase", {"events": [post]}))
    assert _found(a, b"the secret plan") == []
    erased = a.event(post)
    assert "content" not in erased.wire and erased.content is None


def test_a_members_export_holds_their_sealed_events_and_what_they_say(
    nodes: tuple[Node, Node, Node],
) -> None:
    a, _, _ = nodes
    alice, space = _private_space(a)
    files = _unzipped(member_archive(a.wiring, alice))
    events = [orjson.loads(line) for line in files[f"events/{space}.jsonl"].splitlines()]
    assert all(set(e["content"]) >= {"space_key", "ciphertext"} for e in events)
    opened = [orjson.loads(line) for line in files[f"opened/{space}.jsonl"].splitlines()]
    assert [o["content"] for o in opened][1] == {"text": "the secret plan"}
    assert opened[0]["content"]["name"] == "Hidden Garden"


def _unzipped(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        return {name: zipped.read(name) for name in zipped.namelist()}


def test_an_invitation_concurrent_with_a_rotation_still_gets_the_new_key(
    nodes: tuple[Node, Node, Node],
) -> None:
    a, b, _ = nodes
    alice, space = _private_space(a)
    mallory = a.accounts.register("mallory", "a long password")
    _accepted(a.act(alice, space, "member.invite", {"member": mallory.did}))
    _accepted(a.act(mallory, space, "member.join", {}))
    bob = _with_bob(a, b, alice, space)
    _copy(b, a, space)
    kid_before, _ = b.writer.space_keys(space)

    # Concurrently: alice removes mallory (a rotation), bob invites dave (a share of the
    # key bob holds, the old one).
    _accepted(a.act(alice, space, "member.remove", {"member": mallory.did}))
    dave = b.accounts.register("dave", "a long password")
    _accepted(b.act(bob, space, "member.invite", {"member": dave.did}))
    _copy(a, b, space)
    _copy(b, a, space)

    kid_after, _ = b.writer.space_keys(space)
    assert kid_after != kid_before and a.writer.space_keys(space)[0] == kid_after
    wrapped = {did for e in b.events(space) if e.type == "space.key"
               and e.wire["content"]["space_key"] == kid_after
               for did in e.wire["content"]["wraps"]}  # fmt: skip
    assert dave.did in wrapped and mallory.did not in wrapped
    _accepted(a.act(alice, space, "post.create", {"text": "after the removal"}))
    _copy(a, b, space)
    _accepted(b.act(dave, space, "member.join", {}))
    texts = [(e.content or {}).get("text") for e in b.events(space) if e.type == "post.create"]
    assert texts == ["the secret plan", "after the removal"]


def test_a_removal_decided_by_proposal_rotates_the_key(nodes: tuple[Node, Node, Node]) -> None:
    a, _, _ = nodes
    charter = default_charter("invite")
    charter["decisions"] = {"default": {"method": "majority", "window_hours": 1}}
    ann = a.accounts.register("ann", "a long password")
    space = _accepted(a.create_space(ann, "Guild", charter=charter, private=True))
    ben, cat = (a.accounts.register(name, "a long password") for name in ("ben", "cat"))
    for person in (ben, cat):
        _accepted(a.act(ann, space, "member.invite", {"member": person.did}))
        _accepted(a.act(person, space, "member.join", {}))
    kid_before, _ = a.writer.space_keys(space)
    removal = {"type": "member.remove", "member": cat.did}
    made = a.service(Governance).propose(ann, space, {"title": "Cat goes", "action": removal})
    a.service(Governance).keep_deadlines()  # ann, the founder, keeps time: the window starts
    for who in (ann, ben):
        a.service(Governance).vote(who, space, str(made.id), {"choice": "yes"})
    advance(a, 2 * HOUR)
    assert a.service(Governance).keep_deadlines() == 1

    kid_after, _ = a.writer.space_keys(space)
    assert kid_after != kid_before
    rotation = [e for e in a.events(space) if e.type == "space.key"][-1]
    assert set(rotation.wire["content"]["wraps"]) == {ann.did, ben.did}
