"""The commits of a git repository, read as honestly as `git shortlog -sne` counts them.

Authors and co-authors are resolved through the repository's `.mailmap` (as git itself
does), e-mails lower-cased; `Co-authored-by:` trailers name co-authors; bots and merge
commits are recognised so that the charter decides whether they count (by default neither
is a member's work: a merge is evidence of review, not authorship). A commit can also carry
what it changed — files, lines added and removed, and the lines in paths matched by the
charter's globs — for a value equation that weighs more than "one commit, one point".
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pygit2
from pygit2.enums import SortMode

from p2pvalue.accounting.types import value_policy
from p2pvalue.accounts import Account
from p2pvalue.domain import Wiring
from p2pvalue.errors import P2PError
from p2pvalue.importers.contributions import (
    ImportReport,
    Work,
    importer_of,
    record,
    require_units,
)

KIND = "commit"
MAX_SUMMARY = 200
# Substrings of a name or e-mail that mark an automated author; a charter can add its own.
DEFAULT_BOTS = ("[bot]", "dependabot", "renovate", "pre-commit-ci", "github-actions")
CO_AUTHOR = re.compile(r"^co-authored-by:\s*(.*?)\s*<([^<>\s]+)>\s*$", re.I | re.M)


@dataclass(frozen=True)
class Person:
    """An author as the mailmap resolves them: the e-mail (lower-cased) is who they are."""

    name: str
    email: str


@dataclass(frozen=True)
class Commit:
    sha: str
    author: Person
    co_authors: tuple[Person, ...]
    when_ms: int
    summary: str
    merge: bool
    measures: Mapping[str, int] = field(default_factory=dict)


def _open(path: Path) -> pygit2.Repository | None:
    try:
        repo = pygit2.Repository(str(path))
    except pygit2.GitError as error:
        raise P2PError("not_a_repository", f"{path}: {error}", 422) from None
    return None if repo.head_is_unborn else repo


def read_mailmap(path: Path) -> pygit2.Mailmap:
    """A mailmap file (git's format), to resolve authors through as git does."""
    try:
        return pygit2.Mailmap.from_buffer(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise P2PError("unreadable_mailmap", f"{path}: {error}", 422) from None


def repository_mailmap(path: Path) -> pygit2.Mailmap | None:
    """The mailmap git uses for the repository at `path` (its `.mailmap`, and any that
    its configuration names); None when `path` is no repository."""
    try:
        return pygit2.Mailmap.from_repository(pygit2.Repository(str(path)))
    except pygit2.GitError:
        return None


def count_commits(path: Path) -> int:
    """How many commits are reachable from HEAD (for a progress bar)."""
    repo = _open(path)
    return sum(1 for _ in repo.walk(repo.head.target)) if repo else 0


def is_bot(person: Person, extra: Iterable[str] = ()) -> bool:
    """Whether the author is automated: a default or charter-listed marker in name or e-mail."""
    text = f"{person.name} <{person.email}>".lower()
    return any(marker.lower() in text for marker in (*DEFAULT_BOTS, *extra))


def co_authors(message: str, mailmap: pygit2.Mailmap, author: Person) -> tuple[Person, ...]:
    """The distinct people a commit message's `Co-authored-by:` trailers name, mailmapped,
    without the author."""
    found: dict[str, Person] = {}
    for name, email in CO_AUTHOR.findall(message):
        person = resolved(mailmap, name, email)
        if person.email != author.email:
            found.setdefault(person.email, person)
    return tuple(found.values())


def resolved(mailmap: pygit2.Mailmap, name: str, email: str) -> Person:
    """Who `name <email>` is by `mailmap`, as git resolves them, the e-mail lower-cased."""
    real_name, real_email = mailmap.resolve(name, email)
    return Person(real_name, real_email.strip().lower())


def read_commits(path: Path, paths: Mapping[str, Sequence[str]] | None = None) -> Iterator[Commit]:
    """Every commit reachable from HEAD, oldest first; with `paths` ({measure: globs}), each
    commit also carries its diff's measures (`files`, `added`, `removed`, and per measure
    the lines added and removed in matching paths)."""
    repo = _open(path)
    if repo is None:
        return
    mailmap = pygit2.Mailmap.from_repository(repo)
    for commit in repo.walk(repo.head.target, SortMode.TOPOLOGICAL | SortMode.REVERSE):
        message = commit.message.strip()
        summary = message.splitlines()[0][:MAX_SUMMARY] if message else "(no message)"
        author = resolved(mailmap, commit.author.name, commit.author.email)
        yield Commit(
            str(commit.id), author, co_authors(message, mailmap, author),
            commit.author.time * 1000, summary, len(commit.parent_ids) > 1,
            measures(commit, paths) if paths is not None else {},
        )  # fmt: skip


def measures(commit: pygit2.Commit, paths: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """What a commit changed against its first parent: files, lines added and removed, and
    the lines changed under each measure's globs (`docs/**`: anything below docs/)."""
    if commit.parents:
        diff = commit.parents[0].tree.diff_to_tree(commit.tree)
    else:
        diff = commit.tree.diff_to_tree(swap=True)
    counted = {"files": 0, "added": 0, "removed": 0, **dict.fromkeys(paths, 0)}
    for patch in diff:
        if patch is None:
            continue
        _, added, removed = patch.line_stats
        counted["files"] += 1
        counted["added"] += added
        counted["removed"] += removed
        name = patch.delta.new_file.path
        for measure, globs in paths.items():
            if any(_matches(name, glob) for glob in globs):
                counted[measure] += added + removed
    return counted


def _matches(path: str, glob: str) -> bool:
    """`dir/**` matches everything below dir/; other globs match as fnmatch does."""
    if glob.endswith("/**"):
        return path.startswith(glob[:-2])
    return fnmatch.fnmatchcase(path, glob)


@dataclass(frozen=True)
class CommitPolicy:
    """What of a repository's history counts, from the charter's `value.imports`."""

    bots: tuple[str, ...] = ()
    merges: bool | str = False  # True: authored work; "review": review work of the merger
    paths: Mapping[str, Sequence[str]] | None = None

    def skipped(self, commit: Commit) -> str | None:
        """Why `commit` is not a member's work, or None when it is."""
        if commit.merge and self.merges is False:
            return "merge commits"
        if is_bot(commit.author, self.bots):
            return "bot commits"
        return None


def commit_works(commits: Iterable[Commit], policy: CommitPolicy) -> Iterator[Work | str]:
    """Each commit as a piece of `commit` work, its author and human co-authors credited;
    or, for a commit that does not count, the reason."""
    for commit in commits:
        reason = policy.skipped(commit)
        if reason is not None:
            yield reason
            continue
        if commit.merge and policy.merges == "review":
            yield _merge_review(commit)
            continue
        people = (commit.author, *(p for p in commit.co_authors if not is_bot(p, policy.bots)))
        yield Work(
            evidence=f"git:{commit.sha}", kind=KIND, description=commit.summary,
            when_ms=commit.when_ms, emails=tuple(p.email for p in people), source="git",
            measures=commit.measures, names=tuple(p.name for p in people),
        )  # fmt: skip


def _merge_review(commit: Commit) -> Work:
    """A merge as evidence that who merged it reviewed the branch: review work, theirs."""
    return Work(
        evidence=f"git:{commit.sha}", kind="review", description=f"Merged: {commit.summary}",
        when_ms=commit.when_ms, emails=(commit.author.email,), names=(commit.author.name,),
        source="git",
    )  # fmt: skip


def commit_policy(wiring: Wiring, space: str) -> CommitPolicy:
    """The charter's rules for imported commits (the defaults without a `value.imports`)."""
    log = wiring.writer.log(space)
    policy = value_policy(log.authority.charter) if log and log.authority else None
    rules = policy.imports if policy else None
    if rules is None:
        return CommitPolicy()
    paths = {str(measure): globs for measure, globs in rules.paths.items()}
    return CommitPolicy(tuple(rules.bots), rules.merges, paths or None)


def import_git(
    wiring: Wiring, space: str, path: Path, importer: Account | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:  # fmt: skip
    """Import the repository's history into `space`, signed by `importer` (by default the
    space's timekeeper on this node); idempotent. Refused before anything is written when
    the equation does not count commits in units (see `require_units`)."""
    signer = importer or importer_of(wiring, space)
    policy = commit_policy(wiring, space)
    require_units(
        wiring, space, {KIND: "units", **({"review": "units"} if policy.merges == "review" else {})}
    )
    works = commit_works(read_commits(path, policy.paths), policy)
    return record(wiring, space, signer, works, progress)
