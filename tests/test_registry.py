"""The registry: one owner per event type, an action prechecked by its owner, and a new
domain plugged into a real node by registering one more `Domain`."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter

from conftest import LIGHT_HASHING
from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.collab.service import Collab
from p2pvalue.config import init_data_dir
from p2pvalue.domain import Domain, Wiring
from p2pvalue.domains import DOMAINS
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority
from p2pvalue.events.event import Event
from p2pvalue.governance.service import Governance
from p2pvalue.node import Node
from p2pvalue.registry import Registry


class Guestbook:
    """A domain of the test's own: it refuses mallory's joins and notes what it hears."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring
        self.heard: list[str] = []
        self.acted: list[tuple[str, str]] = []
        self.swept = 0
        self.rebuilt = 0

    def precheck(
        self, account: Account, space: str, type: str, content: dict[str, Any], at: int
    ) -> None:
        if account.username == "mallory":
            raise P2PError("not_welcome", "mallory may not sign the guestbook", 403)

    def committed(self, events: Sequence[Event], origin: str | None) -> None:
        self.heard += [event.type for event in events]

    def after(self, account: Account, space: str, type: str) -> None:
        self.acted.append((account.username, type))

    def awaiting(self, space: str, authority: Authority) -> list[str]:
        return []

    def sweep(self, stop: threading.Event | None) -> int:
        self.swept += 1
        return 7

    def rebuild(self) -> None:
        self.rebuilt += 1


GUESTBOOK = Domain(
    name="guestbook",
    types=frozenset({"member.join"}),
    service=Guestbook,
    build=Guestbook,
    precheck=Guestbook.precheck,
    committed=Guestbook.committed,
    acted=Guestbook.after,
    awaiting=Guestbook.awaiting,
    sweep=Guestbook.sweep,
    rebuild=Guestbook.rebuild,
)


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Node]:
    config = init_data_dir(tmp_path / "node")
    with Node(config, password_hasher=LIGHT_HASHING, domains=(*DOMAINS, GUESTBOOK)) as running:
        yield running


def test_an_event_type_has_one_owner() -> None:
    twice = Domain("twice", frozenset({"contribution.claim"}), Guestbook, Guestbook)
    with pytest.raises(ValueError, match=r"contribution\.claim belongs to value and twice"):
        Registry((*DOMAINS, twice))


def test_the_registered_domains_own_the_types_they_precheck() -> None:
    registry = Registry(DOMAINS)
    owners = {t: registry.owner(t) for t in ("contribution.claim", "vote.cast", "task.create",
                                             "content.erase", "member.join")}  # fmt: skip
    names = {t: None if d is None else d.name for t, d in owners.items()}
    assert names == {
        "contribution.claim": "value", "vote.cast": "governance", "task.create": "collab",
        "content.erase": "rights", "member.join": None,
    }  # fmt: skip


def test_a_new_domain_plugs_in_with_one_registration(guarded: Node) -> None:
    alice, mallory, bob = (guarded.accounts.register(n, "correct horse")
                           for n in ("alice", "mallory", "bob"))  # fmt: skip
    space = str(guarded.create_space(alice, "Open").id)
    book = guarded.service(Guestbook)
    with pytest.raises(P2PError) as refused:
        guarded.act(mallory, space, "member.join", {})
    assert refused.value.code == "not_welcome"
    assert guarded.act(bob, space, "member.join", {}).status == "accepted"
    assert book.heard == ["space.create", "member.join"]
    assert book.acted == [("alice", "space.create"), ("bob", "member.join")]
    assert guarded.sweep() == {"value": 0, "governance": 0, "guestbook": 7}
    assert [m["did"] for m in guarded.members(space)] == sorted([alice.did, bob.did])


def test_services_are_found_by_their_class(sqlite_node: Node) -> None:
    assert isinstance(sqlite_node.service(Value), Value)
    assert sqlite_node.service(Governance).wiring.service(Value) is sqlite_node.service(Value)
    with pytest.raises(LookupError):
        sqlite_node.service(Guestbook)


WEB_OF = {"privacy": "spaces"}  # web/ folders named otherwise than their domain


@pytest.mark.parametrize("domain", DOMAINS, ids=[d.name for d in DOMAINS])
def test_a_domains_routes_are_web_modules_with_a_router(domain: Domain[Any]) -> None:
    for path in (*domain.api, *domain.pages):
        module, _, attribute = path.partition(":")
        assert module.startswith(f"p2pvalue.web.{WEB_OF.get(domain.name, domain.name)}."), path
        assert isinstance(getattr(importlib.import_module(module), attribute or "router"),
                          APIRouter), path  # fmt: skip


def test_a_rebuild_drops_what_domains_folded_and_they_fold_it_again(guarded: Node) -> None:
    alice = guarded.accounts.register("alice", "correct horse")
    space = str(guarded.create_space(alice, "Workshop").id)
    claim = {"kind": "code", "description": "Lathe guard", "quantity": 2, "unit": "hours"}
    guarded.act(alice, space, "contribution.claim", claim)
    guarded.act(alice, space, "project.create", {"name": "Lathe"})
    ledger, board = guarded.service(Value).ledger(space), guarded.service(Collab).state(space)
    assert guarded.rebuild()["events"] == guarded.space(space).events
    assert guarded.service(Guestbook).rebuilt == 1
    again = guarded.service(Value).ledger(space)
    assert again is not ledger and repr(again) == repr(ledger)
    assert guarded.service(Collab).state(space) is not board
    assert repr(guarded.service(Collab).state(space)) == repr(board)
