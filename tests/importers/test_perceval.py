"""GrimoireLab Perceval items as imported work: commits fetched by Perceval's own git
backend from a real repository, and GitHub, mailing-list and Discourse items in Perceval's
item format (small fixtures shaped like its own test data)."""

from __future__ import annotations

import json
from pathlib import Path

from perceval.backends.core.git import Git
from typer.testing import CliRunner

from gitrepos import commit, git, init, shortlog
from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import email_alias
from p2pvalue.cli import app
from p2pvalue.config import load_config
from p2pvalue.governance.templates import default_charter
from p2pvalue.importers.contributions import PeerReview, Work
from p2pvalue.importers.git import import_git, read_mailmap
from p2pvalue.importers.perceval import import_perceval, perceval_works
from p2pvalue.node import Node

DATA = Path(__file__).parent / "data"
PASSWORD = "correct horse"
T0 = 1_700_000_000
KINDS = ("issue", "pull_request", "discussion", "answer")
QUAN, VALERIO = "zhquan@example.com", "2+valcos@users.noreply.github.com"


def fetched(repo: Path, clone: Path) -> str:
    """What `perceval git REPO --json-line` writes: one item to a line."""
    items = Git(uri=str(repo), gitpath=str(clone)).fetch()
    return "".join(json.dumps(item) + "\n" for item in items)


def small_history(repo: Path) -> None:
    init(repo)
    commit(repo, "Ann Lee", "ann@example.org", "start", {"README.md": "hi\n"}, T0)
    commit(repo, "Bob", "bob@example.org", "feature\n\nCo-authored-by: Carol <Carol@example.org>",
           {"x.py": "x = 1\n"}, T0 + 60)  # fmt: skip
    commit(repo, "dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com",
           "bump", {"r.txt": "a\n"}, T0 + 120)  # fmt: skip


def space_for(node: Node) -> str:
    alice = node.accounts.register("alice", PASSWORD)
    charter = default_charter("open")
    charter["value"]["kinds"] = [*charter["value"]["kinds"], *KINDS]
    charter["value"]["imports"] = {"accept": True}
    return str(node.create_space(alice, "Firmware", charter=charter).id)


def pieces(text: str) -> list[tuple[str, str, tuple[str, ...], str]]:
    return [(w.kind, w.evidence, w.emails, w.description) if isinstance(w, Work) else
            (f"peer review: {w.verdict}", w.evidence, (w.email,), w.of)
            if isinstance(w, PeerReview) else ("left out", w, (), "")
            for w in perceval_works(text)]  # fmt: skip


def test_commits_perceval_fetched_import_once_alongside_import_git(
    node: Node, tmp_path: Path
) -> None:
    small_history(tmp_path / "repo")
    text = fetched(tmp_path / "repo", tmp_path / "clone")
    found = pieces(text)
    assert [(kind, emails) for kind, _, emails, _ in found] == [
        ("commit", ("ann@example.org",)),
        ("commit", ("bob@example.org", "carol@example.org")),
        ("left out", ()),
    ]
    space = space_for(node)
    report = import_perceval(node.wiring, space, text)
    assert (report.imported, report.skipped) == (2, {"bot commits": 1})
    labels = node.service(Value).ledger(space).labels()
    assert labels[email_alias("carol@example.org")] == "Carol"
    again = import_git(node.wiring, space, tmp_path / "repo")  # the same commits, natively
    assert (again.imported, again.already_imported) == (0, 2)


def test_github_issues_pull_requests_reviews_and_merges(node: Node) -> None:
    text = (DATA / "perceval_github.json").read_text()
    repo = "https://github.com/zhquan_example/repo"
    assert pieces(text) == [
        ("issue", f"{repo}/issues/1", (QUAN,), "Opened issue #1: Firmware hangs on boot"),
        ("discussion", f"{repo}/issues/1#issuecomment-501", (VALERIO,),
         "Commented on issue #1: Firmware hangs on boot"),
        ("left out", "bots and deleted users", (), ""),
        ("pull_request", f"{repo}/pull/88", (VALERIO,),
         "Opened pull request #88: Fix the boot hang"),
        ("peer review: approve", f"{repo}/pull/88#pullrequestreview-205729182", (QUAN,),
         f"{repo}/pull/88"),
        ("left out", "reviews not submitted or dismissed", (), ""),
        ("review", f"{repo}/pull/88#merged", (QUAN,), "Merged pull request #88: Fix the boot hang"),
    ]  # fmt: skip
    space = space_for(node)
    report = import_perceval(node.wiring, space, text)
    assert (report.imported, report.reviews) == (4, 1)
    assert report.skipped == {"bots and deleted users": 1, "reviews not submitted or dismissed": 1}
    ledger = node.service(Value).ledger(space)
    assert ledger.labels() == {email_alias(QUAN): "Quan Zhou",
                               email_alias(VALERIO): "Valerio Cosentino"}  # fmt: skip
    assert {c.kind: c.status for c in ledger.claims.values()}["review"] == "accepted"
    pull = ledger.claims[ledger.evidence[f"{repo}/pull/88"]]
    assert pull.reviews[email_alias(QUAN)].verdict == "approve"
    assert import_perceval(node.wiring, space, text).already_imported == 5


def test_mailing_list_messages_and_discourse_posts(node: Node) -> None:
    mails = pieces((DATA / "perceval_mbox.json").read_text())
    assert [(kind, emails) for kind, _, emails, _ in mails] == [
        ("discussion", ("jsmith@example.com",)), ("answer", ("ana@example.net",))]  # fmt: skip
    assert mails[0][1] == "mail:<4CF64D10.9020206@domain.com>"
    posts = pieces((DATA / "perceval_discourse.json").read_text())
    assert posts == [
        ("discussion", "https://forum.example.org/t/support-ublock-origin/1148/1",
         ("gorhill@users.forum.example.org.invalid",), "Started the topic Support uBlock Origin"),
        ("answer", "https://forum.example.org/t/support-ublock-origin/1148/2",
         ("some_user@users.forum.example.org.invalid",),
         "Answered in the topic Support uBlock Origin"),
        ("left out", "bots and deleted users", (), ""),
    ]  # fmt: skip


def test_cli_dry_run_then_import_then_nothing_twice(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "data")
    assert runner.invoke(app, ["init", "--data", data]).exit_code == 0
    with Node(load_config(Path(data))) as node:
        space = space_for(node)
    file = str(DATA / "perceval_mbox.json")
    args = ["import", "perceval", file, "--space", space, "--data", data]
    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would import mail:<AANLkTik@mail.example.com>: answer by Ana Lopez" in dry.output
    assert "2 to import; left out: none; nothing written" in dry.output
    done = runner.invoke(app, args)
    assert "work: 2 imported, 0 already imported, 0 peer reviews, 2 unclaimed" in done.output
    again = runner.invoke(app, args)
    assert "work: 0 imported, 2 already imported" in again.output


def test_gitlab_issues_merge_requests_approvals_and_merges() -> None:
    url = "https://gitlab.com/fdroid/fdroiddata"
    tim, torsten = "1-redfish64@users.noreply.gitlab.com", "2-grote@users.noreply.gitlab.com"
    assert pieces((DATA / "perceval_gitlab.json").read_text()) == [
        ("issue", f"{url}/issues/639", (tim,), "Opened issue #639: Update OpenWLANMap"),
        ("left out", "system notes", (), ""),
        ("discussion", f"{url}/issues/639#note_2", (torsten,),
         "Commented on issue #639: Update OpenWLANMap"),
        ("pull_request", f"{url}/merge_requests/1", (tim,),
         "Opened merge request !1: Update OpenWLANMap/Mini & Vespucci"),
        ("review", f"{url}/merge_requests/1#merged", ("3-eighthave@users.noreply.gitlab.com",),
         "Merged merge request !1: Update OpenWLANMap/Mini & Vespucci"),
        ("peer review: approve", f"{url}/merge_requests/1#note_10", (torsten,),
         f"{url}/merge_requests/1"),
    ]  # fmt: skip


def mailmapped_history(repo: Path) -> None:
    """Ann under two addresses and Carol's old address as a co-author, joined by .mailmap;
    a bot and a merge, which shortlog counts and an import leaves out."""
    init(repo)
    mailmap = ("Ann Lee <ann@example.org> <ann.lee@old-employer.com>\n"
               "Carol <carol@example.org> <carol@old.example>\n")  # fmt: skip
    commit(repo, "Ann Lee", "ann.lee@old-employer.com", "start", {"README.md": "hi\n"}, T0)
    commit(repo, "Ann L.", "ann@example.org", "docs", {".mailmap": mailmap}, T0 + 60)
    commit(repo, "Bob", "bob@example.org", "feature\n\nCo-authored-by: Carol <carol@old.example>",
           {"x.py": "x = 1\n"}, T0 + 120)  # fmt: skip
    commit(repo, "dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com",
           "bump", {"r.txt": "a\n"}, T0 + 180)  # fmt: skip
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, "Carol", "carol@old.example", "side work", {"s.py": "s\n"}, T0 + 240)
    git(repo, "checkout", "-q", "main")
    git(repo, "-c", "user.name=Bob", "-c", "user.email=bob@example.org", "merge", "-q",
        "--no-ff", "-m", "Merge side", "side")  # fmt: skip


def test_perceval_git_items_honour_the_repositorys_mailmap_as_shortlog_does(
    node: Node, tmp_path: Path
) -> None:
    mailmapped_history(tmp_path / "repo")
    text = fetched(tmp_path / "repo", tmp_path / "clone")
    authored: dict[str, int] = {}
    works = [w for w in perceval_works(text) if isinstance(w, Work)]
    for work in works:
        authored[work.emails[0]] = authored.get(work.emails[0], 0) + 1
    humans = {e: n for e, n in shortlog(tmp_path / "repo").items() if "[bot]" not in e}
    assert authored == humans == {"ann@example.org": 2, "bob@example.org": 1,
                                  "carol@example.org": 1}  # fmt: skip
    feature = next(w for w in works if w.description == "feature")
    assert (feature.emails, feature.names) == (("bob@example.org", "carol@example.org"),
                                               ("Bob", "Carol"))  # fmt: skip
    space = space_for(node)
    assert import_perceval(node.wiring, space, text).imported == 4
    assert import_git(node.wiring, space, tmp_path / "repo").already_imported == 4


def test_a_mailmap_given_resolves_forge_users_too(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "data")
    assert runner.invoke(app, ["init", "--data", data]).exit_code == 0
    with Node(load_config(Path(data))) as node:
        space = space_for(node)
    mailmap = tmp_path / "mailmap"
    mailmap.write_text(f"Valerio C. <valerio@example.org> <{VALERIO}>\n")
    args = ["import", "perceval", str(DATA / "perceval_github.json"), "--space", space,
            "--data", data, "--dry-run"]  # fmt: skip
    dry = runner.invoke(app, [*args, "--mailmap", str(mailmap)])
    assert "/pull/88: pull_request by Valerio C., Opened pull request #88" in dry.output
    assert "#pullrequestreview-205729182: approve by Quan Zhou, a peer review of" in dry.output
    git_too = ["import", "git", str(tmp_path), "--space", space, "--data", data]
    wrong = runner.invoke(app, [*git_too, "--mailmap", str(mailmap)])
    assert "--mailmap goes with `import perceval`" in str(wrong.exception)
    missing = runner.invoke(app, [*args, "--mailmap", str(tmp_path / "nowhere")])
    assert missing.exit_code != 0 and "nowhere" in str(missing.exception or missing.output)
    text = (DATA / "perceval_github.json").read_text()
    works = [w for w in perceval_works(text, mailmap=read_mailmap(mailmap)) if isinstance(w, Work)]
    assert {w.emails for w in works if w.kind == "pull_request"} == {("valerio@example.org",)}
