"""A real repository's history (made with the git command line) imported honestly: counted as
`git shortlog -sne` counts it, co-authors credited, bots and merges left out, and authors
without an account credited as unclaimed contributors until they claim their address."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gitrepos import commit, git, init, shortlog
from p2pvalue.accounting.equation import charter_equation
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import email_alias
from p2pvalue.accounts import Account
from p2pvalue.cli import app
from p2pvalue.config import load_config
from p2pvalue.errors import P2PError
from p2pvalue.governance.templates import default_charter
from p2pvalue.importers.contributions import importer_of
from p2pvalue.importers.git import CommitPolicy, commit_works, import_git, read_commits
from p2pvalue.node import Node

PASSWORD = "correct horse"
T0 = 1_700_000_000
MAILMAP = "Ann Lee <ann@example.org> <ann.lee@old-employer.com>\n"
CAROL = email_alias("carol@example.org")


def history(repo: Path) -> None:
    """Ann (under two addresses, joined by .mailmap), Bob, Carol (only as a co-author),
    dependabot, and a merge of a branch."""
    init(repo)
    commit(repo, "Ann Lee", "ann.lee@old-employer.com", "start", {"README.md": "hi\n"}, T0)
    commit(repo, "Ann Lee", "Ann@Example.org", "docs", {"docs/a.md": "a\nb\n", ".mailmap": MAILMAP},
           T0 + 60)  # fmt: skip
    commit(repo, "Bob", "bob@example.org", "feature\n\nCo-authored-by: Carol <carol@example.org>\n"
           "Co-authored-by: dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
           {"src/x.py": "x = 1\n", "tests/t.py": "t\n"}, T0 + 120)  # fmt: skip
    commit(repo, "dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com",
           "bump", {"requirements.txt": "a==2\n"}, T0 + 180)  # fmt: skip
    git(repo, "checkout", "-q", "-b", "side", "HEAD~1")
    commit(repo, "Bob", "bob@example.org", "side work", {"side.txt": "s\n"}, T0 + 240)
    git(repo, "checkout", "-q", "main")
    git(repo, "-c", "user.name=Ann Lee", "-c", "user.email=ann@example.org", "merge", "-q",
        "--no-ff", "-m", "Merge side", "side")  # fmt: skip


def test_counts_equal_git_shortlog_with_mailmap_bots_and_merges_left_out(tmp_path: Path) -> None:
    history(tmp_path / "repo")
    commits = list(read_commits(tmp_path / "repo"))
    works = list(commit_works(commits, CommitPolicy()))
    authored: dict[str, int] = {}
    for work in works:
        if not isinstance(work, str):
            authored[work.emails[0]] = authored.get(work.emails[0], 0) + 1
    humans = {e: n for e, n in shortlog(tmp_path / "repo").items() if "[bot]" not in e}
    assert authored == humans == {"ann@example.org": 2, "bob@example.org": 2}
    assert sorted(w for w in works if isinstance(w, str)) == ["bot commits", "merge commits"]
    feature = next(c for c in commits if c.summary == "feature")
    assert [p.email for p in feature.co_authors] == [
        "carol@example.org", "49699333+dependabot[bot]@users.noreply.github.com"]  # fmt: skip
    credited = next(w for w in works if not isinstance(w, str) and w.description == "feature")
    assert credited.emails == ("bob@example.org", "carol@example.org")  # the bot is no co-author


def test_merges_count_when_the_charter_says_so(tmp_path: Path) -> None:
    history(tmp_path / "repo")
    works = list(commit_works(read_commits(tmp_path / "repo"), CommitPolicy(merges=True)))
    merge = [w for w in works if not isinstance(w, str) and w.description == "Merge side"]
    assert [w.emails for w in merge] == [("ann@example.org",)]


def test_a_commit_carries_what_it_changed(tmp_path: Path) -> None:
    history(tmp_path / "repo")
    globs = {"docs": ["docs/**", "*.md"], "tests": ["tests/**"]}
    by_summary = {c.summary: c.measures for c in read_commits(tmp_path / "repo", globs)}
    assert by_summary["start"] == {"files": 1, "added": 1, "removed": 0, "docs": 1, "tests": 0}
    assert by_summary["docs"] == {"files": 2, "added": 3, "removed": 0, "docs": 2, "tests": 0}
    assert by_summary["feature"] == {"files": 2, "added": 2, "removed": 0, "docs": 0, "tests": 1}


def space_with(node: Node, imports: dict[str, Any] | None = None,
               equation: dict[str, Any] | None = None) -> tuple[str, Account, Account]:  # fmt: skip
    alice, bob = (node.accounts.register(n, PASSWORD) for n in ("alice", "bob"))
    charter = default_charter("open")
    if imports is not None:
        charter["value"]["imports"] = imports
    if equation is not None:
        charter["value"]["equation"] = equation
    space = str(node.create_space(alice, "Firmware", charter=charter).id)
    node.act(bob, space, "member.join", {})
    confirm(node, space, alice, bob, "bob@example.org")
    return space, alice, bob


def confirm(node: Node, space: str, admin: Account, member: Account, email: str) -> None:
    alias = email_alias(email)
    assert node.act(member, space, "alias.claim", {"alias": alias}).status == "accepted"
    node.act(admin, space, "alias.confirm", {"member": member.did, "alias": alias})


def test_unclaimed_contributors_earn_from_the_start_and_keep_it_once_claimed(
    node: Node, tmp_path: Path
) -> None:
    history(tmp_path / "repo")
    space, alice, bob = space_with(node, {"accept": True, "author_share": 6000})
    report = import_git(node.wiring, space, tmp_path / "repo")
    ann = email_alias("ann@example.org")
    assert (report.imported, report.skipped) == (4, {"bot commits": 1, "merge commits": 1})
    assert report.unclaimed == {ann, CAROL}
    ledger = node.service(Value).ledger(space)
    assert ledger.labels() == {ann: "Ann Lee", CAROL: "Carol"}  # mailmapped names
    feature = next(c for c in ledger.claims.values() if c.description == "feature")
    assert (feature.author, feature.status, feature.source) == (alice.did, "accepted", "git")
    assert feature.shares == {bob.did: 6000, CAROL: 4000}
    values = ledger.member_values()
    assert values[ann] == 2 and (values[bob.did], values[CAROL]) == (Fraction(8, 5), Fraction(2, 5))
    carol = node.accounts.register("carol", PASSWORD)
    node.act(carol, space, "member.join", {})
    confirm(node, space, alice, carol, "carol@example.org")  # an admin's decision
    ledger = node.service(Value).ledger(space)
    assert ledger.member_values()[carol.did] == Fraction(2, 5) and CAROL not in ledger.unclaimed
    assert feature.id in {c.id for c in ledger.claims.values() if carol.did in c.shares}
    again = import_git(node.wiring, space, tmp_path / "repo")
    assert (again.imported, again.already_imported) == (0, 4)


def test_payouts_to_an_unclaimed_contributor_are_held_until_claimed(
    node: Node, tmp_path: Path
) -> None:
    history(tmp_path / "repo")
    space, alice, _ = space_with(node, {"accept": True})
    import_git(node.wiring, space, tmp_path / "repo")
    node.act(alice, space, "income.record", {"amount": 10_000, "currency": "EUR",
                                             "source": "grant"})  # fmt: skip
    run = node.service(Value).pay_out(alice, space, "EUR", 10_000)
    assert run.status == "accepted"
    content = node.event(str(run.id)).content
    assert content is not None
    allocations = content["allocations"]
    ledger = node.service(Value).ledger(space)
    held = ledger.held("EUR")
    assert held == {a: n for a, n in allocations.items() if a.startswith("email-sha256:")}
    assert held[CAROL] > 0 and sum(allocations.values()) == 10_000
    carol = node.accounts.register("carol", PASSWORD)
    node.act(carol, space, "member.join", {})
    confirm(node, space, alice, carol, "carol@example.org")
    ledger = node.service(Value).ledger(space)
    assert CAROL not in ledger.held("EUR")
    assert ledger.paid["EUR"][carol.did] == held[CAROL]


def test_the_equation_can_weigh_what_a_commit_changed(node: Node, tmp_path: Path) -> None:
    history(tmp_path / "repo")
    kinds = {k: {"unit": "hours", "rate": {"num": 20, "den": 1}}
             for k in default_charter()["value"]["kinds"]}  # fmt: skip
    kinds["money"] = {"unit": "money", "rate": {"num": 1, "den": 100}}
    kinds["resource"] = kinds["commit"] = {"unit": "units", "rate": {"num": 1, "den": 1}}
    kinds["commit"] = {**kinds["commit"], "formula": "1 + min(added + removed, 2) + docs * 2"}
    equation = {"version": 1, "effective_from": 0, "kinds": kinds,
                "currencies": {"EUR": {"num": 1, "den": 1}}}  # fmt: skip
    space, _, bob = space_with(node, {"accept": True, "paths": {"docs": ["docs/**"]}}, equation)
    import_git(node.wiring, space, tmp_path / "repo")
    ledger = node.service(Value).ledger(space)
    value = {c.description: c.valued.value for c in ledger.claims.values() if c.valued}
    assert value == {"start": 2, "docs": 1 + 2 + 2 * 2, "feature": 3, "side work": 2}
    flat_rule = {"unit": "units", "rate": {"num": 1, "den": 1}}
    one_point = {**equation, "kinds": {**kinds, "commit": flat_rule}}
    flat = charter_equation(default_charter()["value"]["kinds"], one_point)  # what-if
    assert ledger.member_values(flat)[bob.did] == Fraction(3, 2)  # half of feature, side work
    assert ledger.member_values()[bob.did] == Fraction(3, 2) + 2


def test_only_an_importer_signs_an_import(node: Node, tmp_path: Path) -> None:
    space, _, _ = space_with(node)
    with pytest.raises(P2PError) as refused:
        importer_of(node.wiring, space, "bob")
    assert refused.value.code == "not_an_importer"


def test_imported_work_waits_for_review_unless_the_charter_accepts_it(
    node: Node, tmp_path: Path
) -> None:
    history(tmp_path / "repo")
    space, _, _ = space_with(node)
    import_git(node.wiring, space, tmp_path / "repo")
    statuses = {c.status for c in node.service(Value).ledger(space).claims.values()}
    assert statuses == {"pending"}


def test_cli_imports_a_repository(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "data")
    assert runner.invoke(app, ["init", "--data", data]).exit_code == 0
    assert runner.invoke(app, ["demo", "--data", data]).exit_code == 0
    history(tmp_path / "repo")
    with Node(load_config(Path(data))) as node:
        space = node.spaces()[0].id
    result = runner.invoke(app, ["import", "git", str(tmp_path / "repo"), "--space", space,
                                 "--data", data])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "4 imported" in result.stdout and "1 bot commits, 1 merge commits" in result.stdout
    missing = runner.invoke(app, ["import", "git", str(tmp_path / "nothing"), "--space", space,
                                  "--data", data])  # fmt: skip
    assert missing.exit_code != 0


def test_an_equation_counting_commits_in_hours_is_refused_before_anything_is_written(
    node: Node, tmp_path: Path
) -> None:
    history(tmp_path / "repo")
    kinds = {k: {"unit": "hours", "rate": {"num": 20, "den": 1}}
             for k in default_charter()["value"]["kinds"]}  # fmt: skip
    kinds["money"] = {"unit": "money", "rate": {"num": 1, "den": 100}}
    equation = {"version": 1, "effective_from": 0, "kinds": kinds,
                "currencies": {"EUR": {"num": 1, "den": 1}}}  # fmt: skip
    space, _, _ = space_with(node, {"accept": True}, equation)
    before = len(node.service(Value).ledger(space).claims)
    with pytest.raises(P2PError) as refused:
        import_git(node.wiring, space, tmp_path / "repo")
    assert (refused.value.code, refused.value.status) == ("unit_mismatch", 422)
    assert "counts commit in hours" in refused.value.message
    assert len(node.service(Value).ledger(space).claims) == before == 0


def test_merges_can_count_as_review_work_of_who_merged(node: Node, tmp_path: Path) -> None:
    history(tmp_path / "repo")
    space, _, _ = space_with(node, {"accept": True, "merges": "review"})
    report = import_git(node.wiring, space, tmp_path / "repo")
    assert (report.imported, report.skipped) == (5, {"bot commits": 1})
    ledger = node.service(Value).ledger(space)
    merged = [c for c in ledger.claims.values() if c.kind == "review"]
    assert [(c.description, c.shares, c.status) for c in merged] == [
        ("Merged: Merge side", {email_alias("ann@example.org"): 10_000}, "accepted")]  # fmt: skip
