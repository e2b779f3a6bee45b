"""Importing a git repository of 100,000 commits: seconds for the whole import, and for a
second, idempotent run that must import nothing.

Prints one JSON line: {"commits", "seconds", "imports_per_s", "rerun_seconds",
"repo_build_seconds"}; the baseline is the time pygit2 itself takes to build the repository.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import orjson
import pygit2

from p2pvalue.accounting.types import email_alias
from p2pvalue.config import init_data_dir
from p2pvalue.importers.git import import_git
from p2pvalue.node import Node


def build_repo(path: Path, commits: int, authors: int) -> None:
    repo = pygit2.init_repository(str(path))
    tree = repo.TreeBuilder().write()
    parents: list[pygit2.Oid] = []
    for index in range(commits):
        who = pygit2.Signature("Dev", f"dev{index % authors}@example.org", 1_700_000_000 + index, 0)
        parents = [repo.create_commit("HEAD", who, who, f"change {index}", tree, parents)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        start = time.perf_counter()
        build_repo(root / "repo", args.commits, args.authors)
        built = time.perf_counter() - start
        with Node(init_data_dir(root / "node")) as node:
            founder = node.accounts.register("founder", "bench-password")
            space = str(node.create_space(founder, "Bench").id)
            for index in range(args.authors):
                dev = node.accounts.register(f"dev{index}", "bench-password")
                node.act(dev, space, "member.join", {})
                alias = email_alias(f"dev{index}@example.org")
                node.act(dev, space, "alias.claim", {"alias": alias})
                node.act(founder, space, "alias.confirm", {"member": dev.did, "alias": alias})
            start = time.perf_counter()
            report = import_git(node.wiring, space, root / "repo")
            seconds = time.perf_counter() - start
            start = time.perf_counter()
            again = import_git(node.wiring, space, root / "repo")
            rerun = time.perf_counter() - start
    assert report.imported == args.commits and again.imported == 0, (report, again)
    print(orjson.dumps({
        "commits": args.commits, "seconds": round(seconds, 2),
        "imports_per_s": round(args.commits / seconds), "rerun_seconds": round(rerun, 2),
        "repo_build_seconds": round(built, 2),
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
