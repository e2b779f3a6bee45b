"""Snapshots of folded state: a node started again folds on from them, gets exactly what a
fold of the whole log gives, passes over any that does not match the log or was not made
by it, and drops them where they could hold erased content or be stale."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from clock import MovableClock
from conftest import LIGHT_HASHING
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.state import SNAPSHOT as LEDGER
from p2pvalue.accounts import Account
from p2pvalue.backup import backup, restore
from p2pvalue.config import NodeConfig, init_data_dir, load_config
from p2pvalue.events.event import build_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.insight.service import Health, Insight
from p2pvalue.insight.state import CONTRIBUTIONS_SNAPSHOT, RECORDS_SNAPSHOT
from p2pvalue.node import Node
from p2pvalue.snapshots import MIN_EVENTS, dump
from p2pvalue.store.schema import snapshots

PASSWORD = "correct horse"
NAMES = {LEDGER, RECORDS_SNAPSHOT, CONTRIBUTIONS_SNAPSHOT}
CLAIM = {"kind": "code", "description": "a change", "quantity": 2, "unit": "hours"}


def started(config: NodeConfig) -> Node:
    return Node(config, password_hasher=LIGHT_HASHING, clock=MovableClock())


def community(node: Node, events: int = MIN_EVENTS + 100) -> tuple[Account, str, list[KeyPair]]:
    """A space of a founder and 40 members, with tasks and claims each approved by
    another member, of at least `events` events."""
    founder = node.accounts.register("founder", PASSWORD)
    space = node.create_space(founder, "Commons").id
    assert space is not None
    keys = [KeyPair.generate() for _ in range(40)]
    node.writer.act_many(space, [(key, "member.join", {}) for key in keys])
    grow(node, space, keys, events - 41)
    return founder, space, keys


def grow(node: Node, space: str, keys: list[KeyPair], events: int) -> None:
    """About `events` more events: tasks, and claims each approved by another member."""
    made = 0
    while made < events:
        actions: list[tuple[KeyPair, str, dict[str, Any]]] = []
        for i in range(100):
            who = keys[(made + i) % len(keys)]
            if i % 3 == 0:
                actions.append((who, "task.create", {"title": f"task {made + i}"}))
            else:
                actions.append((who, "contribution.claim", CLAIM | {"quantity": 1 + i % 4}))
        outcomes = node.writer.act_many(space, actions)
        reviews = [
            (keys[(made + i + 1) % len(keys)], "contribution.review",
             {"claim": str(outcome.id), "verdict": "approve"})
            for i, ((_, type, _), outcome) in enumerate(zip(actions, outcomes, strict=True))
            if type == "contribution.claim"
        ]  # fmt: skip
        node.writer.act_many(space, reviews)
        made += len(actions) + len(reviews)


def read_all(node: Node, space: str) -> tuple[Any, Health]:
    return node.service(Value).ledger(space), node.service(Insight).health(space)


def as_folded_from_everything(node: Node, space: str, ledger: Any, health: Health) -> None:
    """Check `ledger` and `health` against the node's state folded from the whole log, no
    snapshot used."""
    node.snapshots.drop()
    node.service(Value).rebuild()
    node.service(Insight).rebuild()
    everything = read_all(node, space)
    assert ledger == everything[0]
    same_health(health, everything[1])


def same_health(one: Health, other: Health) -> None:
    for field in dataclasses.fields(Health):
        if field.name != "version":
            assert getattr(one, field.name) == getattr(other, field.name), field.name


def saved_rows(node: Node, space: str) -> dict[str, int]:
    with node.engine.connect() as conn:
        rows = conn.execute(select(snapshots.c.name, snapshots.c.end)
                            .where(snapshots.c.space == space))  # fmt: skip
        return {name: end for name, end in rows}


def test_a_node_started_again_folds_on_from_its_snapshots(
    tmp_path: Path, database_url: str | None
) -> None:  # fmt: skip
    config = init_data_dir(tmp_path / "node", database_url)
    with started(config) as node:
        _, space, keys = community(node)
        first_ledger, first_health = read_all(node, space)
        length = len(node.writer.log(space) or ())
    with started(config) as node:  # closing saved every large space's folded state
        assert saved_rows(node, space) == dict.fromkeys(NAMES, length)
        ledger, health = read_all(node, space)
        assert node.snapshots.positions(space) == dict.fromkeys(NAMES, length)
        assert ledger == first_ledger and ledger.claims
        same_health(health, first_health)
        # Events that arrive after the snapshot are folded on from it.
        grow(node, space, keys, 30)
        ledger, health = read_all(node, space)
        assert len(ledger.claims) > len(first_ledger.claims)
        assert node.snapshots.positions(space) == dict.fromkeys(NAMES, length)
        as_folded_from_everything(node, space, ledger, health)


def test_a_node_that_stopped_without_saving_folds_on_from_the_last_snapshot(
    tmp_path: Path,
) -> None:  # fmt: skip
    config = init_data_dir(tmp_path / "node")
    node = started(config)
    _, space, keys = community(node)
    read_all(node, space)
    assert node.snapshots.save_all() == len(NAMES)  # as the periodic sweep does
    grow(node, space, keys, 60)
    read_all(node, space)
    assert node.snapshots.save_all() == 0  # grown by less than `SAVE_EVERY`
    node.engine.dispose()  # stopped: nothing saved on the way out
    with started(config) as again:
        ledger, health = read_all(again, space)
        saved = saved_rows(again, space)[LEDGER]
        assert again.snapshots.positions(space) == dict.fromkeys(NAMES, saved)
        assert saved < len(again.writer.log(space) or ())
        as_folded_from_everything(again, space, ledger, health)


def test_a_snapshot_whose_log_changed_under_it_is_passed_over(
    tmp_path: Path, database_url: str | None
) -> None:  # fmt: skip
    config = init_data_dir(tmp_path / "node", database_url)
    with started(config) as node:
        _, space, _ = community(node)
        read_all(node, space)
    with started(config) as node:
        # A join from another node, concurrent with almost the whole log: it sorts near
        # its start, so every position after it moved.
        newcomer = KeyPair.generate()
        create = node.writer.log(space).entries[space]  # type: ignore[union-attr]
        joining = build_event(newcomer, "member.join", {}, space=space, prev=[space],
                              depth=create.depth + 1, ts=create.ts)  # fmt: skip
        assert node.ingest([joining.wire])[0].status == "accepted"
        log = node.writer.log(space)
        assert log is not None and log.position[joining.id] < 5
        ledger, health = read_all(node, space)
        assert node.snapshots.positions(space) == {}  # folded from the whole log
        assert newcomer.did in health.members
        as_folded_from_everything(node, space, ledger, health)


def test_a_snapshot_not_made_by_this_node_is_never_read(tmp_path: Path) -> None:
    config = init_data_dir(tmp_path / "node")
    with started(config) as node:
        _, space, _ = community(node)
        expected = read_all(node, space)[0]
    marker = tmp_path / "ran"
    with started(config) as node:
        with node.engine.begin() as conn:  # a changed state, its keyed hash left as it was
            conn.execute(update(snapshots).where(snapshots.c.name == LEDGER)
                         .values(body=dump({"claims": {}})))  # fmt: skip
        assert node.service(Value).ledger(space) == expected
        assert LEDGER not in node.snapshots.positions(space)
    with started(config) as node:
        # Even under a valid keyed hash (a node key that leaked), only a folded state's own
        # classes are made: a pickle that would run a command is refused.
        class Command:
            def __reduce__(self) -> tuple[Any, tuple[str]]:
                return os.system, (f"touch {marker}",)

        saved = saved_rows(node, space)[LEDGER]
        digest = node.writer.digest(space, node.writer.log(space).version, saved)  # type: ignore[union-attr]
        assert digest is not None
        node.snapshots.save(space, LEDGER, saved, digest, dump(Command()))
        assert node.service(Value).ledger(space) == expected
        assert not marker.exists()


def test_erasure_and_rebuild_drop_the_snapshots(tmp_path: Path, database_url: str | None) -> None:
    config = init_data_dir(tmp_path / "node", database_url)
    with started(config) as node:
        founder, space, _ = community(node)
        thread = node.act(founder, space, "thread.create",
                          {"on": {"kind": "space"}, "title": "Plans",
                           "text": "my private plans"}).id  # fmt: skip
        read_all(node, space)
    with started(config) as node:
        assert set(saved_rows(node, space)) == NAMES
        erased = node.act(founder, space, "content.erase", {"events": [thread]})
        assert erased.status == "accepted", erased
        assert saved_rows(node, space) == {}  # they may have held what was erased
        read_all(node, space)
        assert node.snapshots.save_all(grown=1) == len(NAMES)
        node.rebuild()
        with node.engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(snapshots)) == 0


def test_a_backup_leaves_the_snapshots_out_and_the_restored_node_folds_again(
    tmp_path: Path,
) -> None:  # fmt: skip
    config = init_data_dir(tmp_path / "node")
    with started(config) as node:
        _, space, _ = community(node)
        expected = read_all(node, space)[0]
    with started(config) as node:
        assert set(saved_rows(node, space)) == NAMES
    manifest = backup(tmp_path / "node", tmp_path / "node.tar.gz")
    assert "tables/snapshots.jsonl" not in manifest["members"]
    restore(tmp_path / "node.tar.gz", tmp_path / "again")
    with started(load_config(tmp_path / "again")) as node:
        assert node.service(Value).ledger(space) == expected
        assert node.snapshots.positions(space) == {}


def test_a_node_that_wrote_a_large_space_saves_its_state_on_closing(tmp_path: Path) -> None:
    config = init_data_dir(tmp_path / "node")
    with started(config) as node:  # an import: written, never read
        _, space, _ = community(node)
        small = node.create_space(node.accounts.register("other", PASSWORD), "Small").id
        assert small is not None
    with started(config) as node:
        length = len(node.writer.log(space) or ())
        assert saved_rows(node, space) == dict.fromkeys(NAMES, length)
        assert saved_rows(node, small) == {}  # too small to be worth it
        read_all(node, space)
        assert node.snapshots.positions(space) == dict.fromkeys(NAMES, length)
