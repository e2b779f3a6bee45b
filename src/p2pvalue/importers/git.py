"""Commits of a git repository become `commit` claims of the members who made them.

A commit's author e-mail is matched to a member through an alias the member claimed and
the space confirmed (`alias.claim`, `alias.confirm`; the log holds only the address's
hash). Each commit is claimed once: its id is the claim's evidence (`git:<sha>`), so
running the import again adds nothing. Claims are signed by the member's own key, so only
members with an account on this node can have their commits imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import pygit2
from pygit2.enums import SortMode

from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import email_alias
from p2pvalue.domain import Wiring
from p2pvalue.errors import P2PError
from p2pvalue.events.keys import KeyPair

KIND = "commit"
BATCH = 1000
MAX_SUMMARY = 200


@dataclass(frozen=True)
class Commit:
    sha: str
    alias: str
    when_ms: int
    summary: str


@dataclass
class GitImport:
    """What an import did, commit by commit."""

    imported: int = 0
    already_claimed: int = 0
    unmatched: int = 0
    no_local_key: int = 0
    refused: dict[str, int] = field(default_factory=dict)


def _open(path: Path) -> pygit2.Repository | None:
    try:
        repo = pygit2.Repository(str(path))
    except pygit2.GitError as error:
        raise P2PError("not_a_repository", f"{path}: {error}", 422) from None
    return None if repo.head_is_unborn else repo


def count_commits(path: Path) -> int:
    """How many commits are reachable from HEAD (for a progress bar)."""
    repo = _open(path)
    return sum(1 for _ in repo.walk(repo.head.target)) if repo else 0


def read_commits(path: Path) -> Iterator[Commit]:
    """Every commit reachable from HEAD, oldest first."""
    repo = _open(path)
    if repo is None:
        return
    for commit in repo.walk(repo.head.target, SortMode.TOPOLOGICAL | SortMode.REVERSE):
        message = commit.message.strip()
        summary = message.splitlines()[0][:MAX_SUMMARY] if message else "(no message)"
        alias = email_alias(commit.author.email)
        yield Commit(str(commit.id), alias, commit.author.time * 1000, summary)


def import_git(
    wiring: Wiring, space: str, path: Path, progress: Callable[[int], None] | None = None
) -> GitImport:
    """Claim the repository's commits for their members; idempotent."""
    policy = wiring.directory.space(space).charter.get("value") or {}
    if KIND not in policy.get("kinds", []):
        raise P2PError("unknown_kind", f"the charter does not list the kind {KIND!r}", 422)
    ledger = wiring.service(Value).ledger(space)
    report = GitImport()
    keys = _Keys(wiring, space)
    commits = read_commits(path)
    while batch := list(islice(commits, BATCH)):
        actions = []
        for commit in batch:
            evidence = f"git:{commit.sha}"
            member = ledger.aliases.get(commit.alias)
            key = keys.of(member) if member else None
            if evidence in ledger.evidence:
                report.already_claimed += 1
            elif member is None:
                report.unmatched += 1
            elif key is None:
                report.no_local_key += 1
            else:
                actions.append((key, "contribution.claim", _claim(commit, evidence)))
        _record(wiring.writer.act_many(space, actions) if actions else [], report)
        if progress:
            progress(len(batch))
    return report


def _claim(commit: Commit, evidence: str) -> dict[str, Any]:
    return {"kind": KIND, "description": commit.summary, "quantity": 1, "unit": "units",
            "date": commit.when_ms, "evidence": [evidence]}  # fmt: skip


def _record(outcomes: list[Any], report: GitImport) -> None:
    for outcome in outcomes:
        if outcome.status == "accepted":
            report.imported += 1
        else:
            code = outcome.code or outcome.status
            report.refused[code] = report.refused.get(code, 0) + 1


class _Keys:
    """Signing keys of the space's current members who have accounts on this node."""

    def __init__(self, wiring: Wiring, space: str) -> None:
        self._wiring = wiring
        self._members = {
            m["did"] for m in wiring.directory.members(space) if m["status"] == "member"
        }
        self._found: dict[str, KeyPair | None] = {}

    def of(self, member: str) -> KeyPair | None:
        if member not in self._found:
            account = self._wiring.accounts.by_did(member) if member in self._members else None
            self._found[member] = self._wiring.accounts.key_of(account) if account else None
        return self._found[member]
