"""Hardening: reads beside a writer, forged projections, malformed names and ids, config."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from p2pvalue import audit
from p2pvalue.cli import app
from p2pvalue.errors import EventError, P2PError
from p2pvalue.events.event import build_event, parse_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.node import Node
from p2pvalue.store.database import writing
from p2pvalue.store.schema import members

PASSWORD = "correct horse"


def test_a_read_does_not_wait_for_a_writer(sqlite_node: Node) -> None:
    alice = sqlite_node.accounts.register("alice", PASSWORD)
    sqlite_node.create_space(alice, "Commons")
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with writing(sqlite_node.engine):
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    holding.wait(5)
    start = time.monotonic()
    names = [space.name for space in sqlite_node.spaces()]
    waited = time.monotonic() - start
    release.set()
    thread.join()
    assert names == ["Commons"] and waited < 2


def test_verify_reports_a_forged_members_row(node: Node) -> None:
    alice, bob = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob"))
    space = str(node.create_space(alice, "Commons").id)
    node.act(bob, space, "member.join", {})
    assert audit.verify(node, space) is None
    with node.engine.begin() as conn:
        conn.execute(update(members).where(members.c.did == bob.did).values(roles='["admin"]'))
    problem = audit.verify(node, space)
    assert problem is not None and problem.code == "stale_projection"


@pytest.mark.parametrize("name", ["alice\n", "alice ", "Alice", "al"])
def test_usernames_are_matched_whole(node: Node, name: str) -> None:
    with pytest.raises(P2PError) as refused:
        node.accounts.register(name, PASSWORD)
    assert refused.value.code == "invalid_username"


def test_a_space_field_that_is_not_an_id_is_malformed() -> None:
    key = KeyPair.generate()
    event = build_event(key, "post.create", {"text": "hi"}, space="x" * 100, prev=["A" * 43],
                        depth=1)  # fmt: skip
    with pytest.raises(EventError) as refused:
        parse_event(event.wire)
    assert refused.value.code == "malformed_event"


def test_damaged_data_folders_get_clear_cli_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "node"
    assert runner.invoke(app, ["init", "--data", str(data)]).exit_code == 0
    assert (data / "config.json").stat().st_mode & 0o777 == 0o600
    (data / "config.json").write_text("{")
    with pytest.raises(P2PError) as broken:
        runner.invoke(app, ["rebuild", "--data", str(data)], catch_exceptions=False)
    assert broken.value.code == "bad_config"
    (data / "config.json").write_text("{}")
    (data / "keyring.key").unlink()
    with pytest.raises(P2PError) as missing:
        runner.invoke(app, ["rebuild", "--data", str(data)], catch_exceptions=False)
    assert missing.value.code == "bad_key_file"
