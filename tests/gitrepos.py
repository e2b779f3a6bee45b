"""Real git repositories for import tests, made with the git command line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in `repo`; its standard output."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
        env={**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", **(env or {})},
    )  # fmt: skip
    return done.stdout


def commit(
    repo: Path, name: str, email: str, message: str, files: dict[str, str], when: int
) -> None:
    """Write `files` and commit them as `name <email>` at `when` (seconds)."""
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(repo, "add", "-A")
    stamp = f"{when} +0000"
    git(repo, "commit", "-q", "--allow-empty", "-m", message, env={
        "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": stamp,
    })  # fmt: skip


def init(repo: Path) -> None:
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")


def shortlog(repo: Path) -> dict[str, int]:
    """`git shortlog -sne --no-merges HEAD` as {e-mail (lower-cased): commits}."""
    counts: dict[str, int] = {}
    for line in git(repo, "shortlog", "-sne", "--no-merges", "HEAD").splitlines():
        number, who = line.strip().split("\t", 1)
        email = who.rsplit("<", 1)[1].rstrip(">").lower()
        counts[email] = counts.get(email, 0) + int(number)
    return counts
