"""A community's history end to end: a repository of 20,000 commits (authors under several
addresses joined by `.mailmap`, `Co-authored-by:` trailers, bot commits) imported with the
charter accepting merged work on import, then the first reputation computed. The target
is two minutes for all of it, with every author's imported commits equal to what
`git shortlog -sne --no-merges` counts (bots removed), checked in the same run.

Prints one JSON line: {"commits", "imported", "bots_left_out", "authors", "accepted",
"unclaimed", "scored",
"import_seconds", "reputation_seconds", "end_to_end_seconds", "shortlog_equal",
"shortlog_seconds", "repo_build_seconds"}; the baselines are git's own shortlog over the
same history and the time git fast-import takes to write it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import orjson

from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import email_alias
from p2pvalue.config import init_data_dir
from p2pvalue.governance.templates import default_charter
from p2pvalue.importers.git import import_git
from p2pvalue.node import Node

BOT = "49699333+dependabot[bot]@users.noreply.github.com"
ENV = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null"}


def fast_import_stream(commits: int, authors: int) -> bytes:
    """A `git fast-import` stream: every 7th commit by an author's old address (mapped by
    .mailmap), every 5th with a co-author, every 50th by dependabot."""
    mailmap = "".join(f"Dev {a} <dev{a}@example.org> <dev{a}@old.example.com>\n"
                      for a in range(authors)).encode()  # fmt: skip
    parts = [b"blob\nmark :1\ndata %d\n%s\n" % (len(mailmap), mailmap)]
    for index in range(commits):
        who = index % authors
        if index % 50 == 49:
            name, email = "dependabot[bot]", BOT
        elif index % 7 == 3:
            name, email = f"Dev {who}", f"dev{who}@old.example.com"
        else:
            name, email = f"Dev {who}", f"Dev{who}@Example.org"
        message = f"change {index}\n"
        if index % 5 == 0:
            partner = (who + 1) % authors
            message += f"\nCo-authored-by: Dev {partner} <dev{partner}@example.org>\n"
        data = message.encode()
        stamp = 1_600_000_000 + index * 60
        header = (f"commit refs/heads/main\nauthor {name} <{email}> {stamp} +0000\n"
                  f"committer {name} <{email}> {stamp} +0000\n").encode()  # fmt: skip
        body = b"data %d\n%s\n" % (len(data), data)
        files = b"M 100644 :1 .mailmap\n" if index == 0 else b""
        files += b"M 100644 inline f%d.txt\ndata 2\n%d\n\n" % (index % 100, index % 10)
        parts.append(header + body + files)
    return b"".join(parts)


def build_repo(path: Path, commits: int, authors: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=ENV)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], check=True, env=ENV,
                   input=fast_import_stream(commits, authors))  # fmt: skip
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True, env=ENV)


def shortlog(path: Path) -> dict[str, int]:
    """git's own count per author e-mail (lower-cased), bots removed."""
    out = subprocess.run(["git", "-C", str(path), "shortlog", "-sne", "--no-merges", "HEAD"],
                         check=True, capture_output=True, text=True, env=ENV).stdout  # fmt: skip
    counts: dict[str, int] = {}
    for line in out.splitlines():
        number, who = line.strip().split("\t", 1)
        email = who.rsplit("<", 1)[1].rstrip(">").lower()
        if "[bot]" not in email:
            counts[email] = counts.get(email, 0) + int(number)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--authors", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        start = time.perf_counter()
        build_repo(root / "repo", args.commits, args.authors)
        built = time.perf_counter() - start
        start = time.perf_counter()
        expected = shortlog(root / "repo")
        shortlog_seconds = time.perf_counter() - start
        with Node(init_data_dir(root / "node")) as node:
            founder = node.accounts.register("founder", "bench-password")
            charter = default_charter("open")
            charter["value"]["imports"] = {"accept": True}
            space = str(node.create_space(founder, "History", charter=charter).id)
            start = time.perf_counter()
            report = import_git(node.wiring, space, root / "repo")
            imported = time.perf_counter() - start
            ledger = node.service(Value).ledger(space)
            start = time.perf_counter()
            scores = node.service(Value).reputation(space).scores
            ranked = time.perf_counter() - start
            authored: dict[str, int] = {}
            for claim in ledger.claims.values():
                author = next(iter(claim.shares))  # the commit's author is credited first
                authored[author] = authored.get(author, 0) + 1
            accepted = len(ledger.accepted_claims())
    aliases = {email_alias(email): n for email, n in expected.items()}
    equal = authored == aliases
    assert report.imported == accepted == sum(expected.values()), report
    print(orjson.dumps({
        "commits": args.commits, "imported": report.imported,
        "bots_left_out": report.skipped.get("bot commits", 0), "authors": len(expected),
        "accepted": accepted, "unclaimed": len(report.unclaimed), "scored": len(scores),
        "import_seconds": round(imported, 2), "reputation_seconds": round(ranked, 2),
        "end_to_end_seconds": round(imported + ranked, 2), "shortlog_equal": equal,
        "shortlog_seconds": round(shortlog_seconds, 2), "repo_build_seconds": round(built, 2),
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
