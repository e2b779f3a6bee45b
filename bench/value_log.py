"""Shared by the value benchmarks: a node holding a space with a long value history, built
through the write path in batches (one transaction each) outside the timed part."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher

from p2pvalue.accounts import Account
from p2pvalue.events.keys import KeyPair
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node

BATCH = 2_000
# Real argon2id with light costs: the benchmark signs people up, it does not time logins.
LIGHT_HASHING = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass(frozen=True)
class ValueSpace:
    id: str
    founder: Account
    claimant: Account
    reviewer: Account


def claim(index: int) -> dict[str, Any]:
    return {"kind": "docs", "description": f"work {index}", "quantity": 1, "unit": "hours"}


def value_space(
    node: Node, name: str, *, claims: int, events: int, members: int = 100,
    lazy_hours: int | None = None, reviewed: bool = True,
) -> ValueSpace:  # fmt: skip
    """A space of `members` members with `claims` claims (each approved by one review when
    `reviewed`), padded with posts to about `events` events."""
    founder, claimant, reviewer = (
        node.accounts.register(f"{name}-{role}", "correct horse battery")
        for role in ("founder", "claimant", "reviewer")
    )
    charter = default_charter("open")
    if lazy_hours is not None:
        charter["value"]["acceptance"] = {"approvals": 1, "lazy_hours": lazy_hours}
    space = str(node.create_space(founder, name, charter=charter).id)
    keys = [node.accounts.key_of(a) for a in (claimant, reviewer)]
    keys += [KeyPair.generate() for _ in range(members - 3)]
    node.writer.act_many(space, [(key, "member.join", {}) for key in keys])
    per_claim = 2 if reviewed else 1
    posts = max(0, events - members - per_claim * claims)
    for start in range(0, claims, BATCH // per_claim):
        count = min(BATCH // per_claim, claims - start)
        _claims_batch(node, space, keys, start, count, reviewed)
        share = posts * count // claims
        _ingest(node, space, _posts(keys, start, share))
    return ValueSpace(space, founder, claimant, reviewer)


def _claims_batch(
    node: Node, space: str, keys: list[KeyPair], start: int, count: int, reviewed: bool
) -> None:
    authors = [keys[(start + i) % len(keys)] for i in range(count)]
    claimed = _ingest(node, space, [
        (author, "contribution.claim", claim(start + i)) for i, author in enumerate(authors)
    ])  # fmt: skip
    if reviewed:
        _ingest(node, space, [
            (keys[(start + i + 1) % len(keys)], "contribution.review",
             {"claim": claim_id, "verdict": "approve"})
            for i, claim_id in enumerate(claimed)
        ])  # fmt: skip


def _posts(keys: list[KeyPair], start: int, count: int) -> Iterator[tuple[KeyPair, str, Any]]:
    for i in range(count):
        yield keys[(start + i) % len(keys)], "post.create", {"text": f"note {start}.{i}"}


def _ingest(node: Node, space: str, actions: Any) -> list[str]:
    actions = list(actions)
    ids = []
    for start in range(0, len(actions), BATCH):
        outcomes = node.writer.act_many(space, actions[start : start + BATCH])
        assert all(o.status == "accepted" for o in outcomes), outcomes[0]
        ids += [str(o.id) for o in outcomes]
    return ids
