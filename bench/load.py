"""Requests a second that one node serves with 1 and with 2 workers, on PostgreSQL and Redis,
under a mixed load from locust (`bench/load_users.py`): 80 % reads of pages and feeds, 20 %
posts, claims and ballots, from `--users` members each asking again as soon as answered.

In one run: seed a community (a space, its members with tokens, an open proposal), then for
1 and for 2 workers start `p2pvalue serve --workers W`, send the load for `--seconds`, and
stop it; then send 2 workers the load 1 worker sustained (each member paced to that rate)
and measure its p99. After each phase, every write locust saw accepted (201) is counted
in the store. Also printed: the machine's load average before the run and its share of
CPU used by the node's processes, since the machine is shared.

Needs a PostgreSQL database it may empty (`--database-url`, default the one named by
P2PVALUE_BENCH_DATABASE_URL) and a Redis server (`--redis-url`). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from p2pvalue.config import init_data_dir, load_config
from p2pvalue.node import Node
from p2pvalue.social import Social

ROOT = Path(__file__).resolve().parents[1]
USERS_FILE = ROOT / "bench" / "load_users.py"
WRITES = {"post": "post.create", "claim": "contribution.claim", "ballot": "vote.cast"}
PASSWORD = "correct horse battery"


def reset(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def seed(data: Path, url: str, members: int) -> dict[str, Any]:
    """A space, `members` members with bearer tokens, an open proposal and a few posts."""
    with Node(init_data_dir(data, url)) as node:
        founder = node.accounts.register("founder", PASSWORD)
        space = str(node.create_space(founder, "Load").id)
        tokens = []
        for index in range(members):
            member = node.accounts.register(f"member{index}", PASSWORD)
            node.act(member, space, "member.join", {})
            node.service(Social).follows.follow_space(member, space)
            tokens.append(node.accounts.open_session(member))
        for n in range(20):
            node.act(founder, space, "post.create", {"text": f"note {n}"})
    return {"space": space, "tokens": tokens, "proposal": None}


def open_proposal(data: Path, url: str, community: dict[str, Any], path: Path) -> None:
    """A new proposal for the phase's ballots (the last one's window may have closed)."""
    with Node(load_config(data, url)) as node:
        founder = node.accounts.by_username("founder")
        assert founder is not None
        content = {"title": "Adopt the FAQ", "action": {"type": "text"}}
        community["proposal"] = node.act(founder, community["space"], "proposal.create", content).id
    path.write_text(json.dumps(community))


def counted(url: str, space: str) -> dict[str, int]:
    """How many events of each written type the space holds."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT type, count(*) FROM events WHERE space = :s GROUP BY type"), {"s": space}
        ).all()
    engine.dispose()
    found = dict((row[0], int(row[1])) for row in rows)
    return {name: found.get(kind, 0) for name, kind in WRITES.items()}


def serve(data: Path, url: str, redis_url: str, workers: int, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "p2pvalue", "serve", "--data", str(data),
               "--database-url", url, "--redis-url", redis_url, "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    log = (data / f"serve-{workers}.log").open("ab")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                time.sleep(5 if workers > 1 else 1)  # the other workers finish starting
                return server
        except httpx.HTTPError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"the node did not start with {workers} worker(s)")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (the workers), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def attack(base: str, community: Path, users: int, seconds: int, rate: float,
           prefix: Path) -> dict[str, Any]:  # fmt: skip
    """Run locust headless against `base`; its aggregate figures and the accepted writes."""
    env = {**os.environ, "LOAD_COMMUNITY": str(community), "LOAD_RATE": str(rate)}
    command = ["locust", "-f", str(USERS_FILE), "--headless", "-u", str(users), "-r", str(users),
               "-t", f"{seconds}s", "-H", base, "--csv", str(prefix), "--only-summary",
               "--loglevel", "ERROR", "--stop-timeout", "5"]  # fmt: skip
    subprocess.run(command, env=env, check=False, capture_output=True, timeout=seconds + 120)
    rows = {
        row["Name"]: row
        for row in csv.DictReader(prefix.with_name(prefix.name + "_stats.csv").open())
    }
    total = rows["Aggregated"]
    accepted = {
        name: int(rows[name]["Request Count"]) - int(rows[name]["Failure Count"])
        for name in WRITES if name in rows
    }  # fmt: skip
    with prefix.with_name(prefix.name + "_failures.csv").open() as failures:
        failed = [f"{row['Name']}: {row['Error']} x{row['Occurrences']}"
                  for row in csv.DictReader(failures)][:5]  # fmt: skip
    return {
        "failed": failed,
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "rps": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"]),
        "p99_ms": float(total["99%"]),
        "accepted": accepted,
    }


def phase(args: argparse.Namespace, data: Path, community: dict[str, Any], path: Path,
          workers: int, rate: float) -> dict[str, Any]:  # fmt: skip
    port = 18000 + workers + (100 if rate else 0)
    open_proposal(data, args.database_url, community, path)
    before = counted(args.database_url, community["space"])
    server = serve(data, args.database_url, args.redis_url, workers, port)
    try:
        cpu = cpu_seconds(server.pid)
        started = time.monotonic()
        found = attack(f"http://127.0.0.1:{port}", path, args.users, args.seconds, rate,
                       data / f"locust-{workers}-{rate}")  # fmt: skip
        found["node_cpu_share"] = round(
            (cpu_seconds(server.pid) - cpu) / (time.monotonic() - started) / (os.cpu_count() or 1),
            2,
        )
    finally:
        server.terminate()
        server.wait(60)
    after = counted(args.database_url, community["space"])
    stored = {name: after[name] - before[name] for name in WRITES}
    # A write locust sent as the phase ended may be stored without its answer being counted:
    # every write seen accepted is stored, and a few more may be.
    found["writes_all_stored"] = all(stored[n] >= found["accepted"].get(n, 0) for n in WRITES)
    found["stored"] = stored
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("P2PVALUE_BENCH_DATABASE_URL"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("give --database-url (a PostgreSQL database this run may empty)")
    load_before = os.getloadavg()[0]
    reset(args.database_url)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "node"
        community = seed(data, args.database_url, args.users)
        path = Path(folder) / "community.json"
        one = phase(args, data, community, path, 1, 0)
        two = phase(args, data, community, path, 2, 0)
        paced = phase(args, data, community, path, 2, one["rps"] / args.users)
    print(json.dumps({
        "benchmark": "load", "users": args.users, "seconds": args.seconds,
        "one_worker": one, "two_workers": two, "two_workers_at_one_workers_load": paced,
        "speedup": round(two["rps"] / one["rps"], 2) if one["rps"] else None,
        "cpus": os.cpu_count(), "load_average_before": round(load_before, 1),
        "load_average_after": round(os.getloadavg()[0], 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
