"""Commits of a real git repository (made with pygit2) claimed for the members who made them."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest
from typer.testing import CliRunner

from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import email_alias
from p2pvalue.accounts import Account
from p2pvalue.cli import app
from p2pvalue.config import load_config
from p2pvalue.errors import P2PError
from p2pvalue.importers.git import import_git, read_commits
from p2pvalue.node import Node

PASSWORD = "correct horse"


def make_repo(path: Path, authors: list[str]) -> list[str]:
    """A repository with one commit per entry of `authors` (their e-mails); the commit ids."""
    repo = pygit2.init_repository(str(path))
    tree = repo.TreeBuilder().write()
    parents: list[pygit2.Oid] = []
    made = []
    for index, email in enumerate(authors):
        who = pygit2.Signature("Someone", email, 1_700_000_000 + index * 60, 0)
        oid = repo.create_commit("HEAD", who, who, f"change {index}\n\nbody", tree, parents)
        parents = [oid]
        made.append(str(oid))
    return made


@pytest.fixture
def space(node: Node) -> tuple[str, Account, Account]:
    alice, bob = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob"))
    space = str(node.create_space(alice, "Firmware").id)
    node.act(bob, space, "member.join", {})
    alias = email_alias("Bob@Example.org ")
    assert node.act(bob, space, "alias.claim", {"alias": alias}).status == "accepted"
    node.act(alice, space, "alias.confirm", {"member": bob.did, "alias": alias})
    return space, alice, bob


def test_commits_become_claims_once(
    node: Node, space: tuple[str, Account, Account], tmp_path: Path
) -> None:
    space_id, _, bob = space
    shas = make_repo(tmp_path / "repo", ["bob@example.org", "eve@else.org", "bob@example.org"])
    assert [c.summary for c in read_commits(tmp_path / "repo")] == ["change 0", "change 1",
                                                                    "change 2"]  # fmt: skip
    report = import_git(node.wiring, space_id, tmp_path / "repo")
    assert (report.imported, report.unmatched, report.already_claimed) == (2, 1, 0)
    claims = [c for c in node.service(Value).ledger(space_id).claims.values() if c.kind == "commit"]
    assert [(c.author, c.evidence, c.when) for c in claims] == [
        (bob.did, (f"git:{shas[0]}",), 1_700_000_000_000),
        (bob.did, (f"git:{shas[2]}",), 1_700_000_120_000),
    ]
    again = import_git(node.wiring, space_id, tmp_path / "repo")
    assert (again.imported, again.already_claimed, again.unmatched) == (0, 2, 1)
    assert node.space(space_id).events == 6


def test_many_commits_in_batches(node: Node, space: tuple[str, Account, Account],
                                 tmp_path: Path) -> None:  # fmt: skip
    space_id, _, _ = space
    make_repo(tmp_path / "repo", ["bob@example.org"] * 2500)
    ticks: list[int] = []
    report = import_git(node.wiring, space_id, tmp_path / "repo", ticks.append)
    assert (report.imported, sum(ticks), len(ticks)) == (2500, 2500, 3)
    assert len(node.service(Value).ledger(space_id).claims) == 2500


def test_an_alias_is_confirmed_only_after_being_claimed(node: Node) -> None:
    alice, bob = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob"))
    space = str(node.create_space(alice, "Firmware").id)
    node.act(bob, space, "member.join", {})
    alias = email_alias("bob@example.org")
    with pytest.raises(P2PError) as refused:
        node.act(alice, space, "alias.confirm", {"member": bob.did, "alias": alias})
    assert refused.value.code == "alias_not_claimed"


def test_cli_imports_a_repository(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "data")
    assert runner.invoke(app, ["init", "--data", data]).exit_code == 0
    assert runner.invoke(app, ["demo", "--data", data]).exit_code == 0
    make_repo(tmp_path / "repo", ["nobody@example.org"])
    with Node(load_config(Path(data))) as node:
        space = node.spaces()[0].id
    result = runner.invoke(app, ["import", "git", str(tmp_path / "repo"), "--space", space,
                                 "--data", data])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "0 claimed" in result.stdout and "1 with no confirmed alias" in result.stdout
    missing = runner.invoke(app, ["import", "git", str(tmp_path / "nothing"), "--space", space,
                                  "--data", data])  # fmt: skip
    assert missing.exit_code != 0
