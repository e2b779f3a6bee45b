"""Ingest pre-signed events batch by batch, printing each id once its batch is committed.

An event already stored (from an earlier, killed run) comes back as a duplicate and is
acknowledged again.

Run as `python crash_writer.py DATA_DIR EVENTS_JSONL BATCH_SIZE [DATABASE_URL]`. The crash
test kills this process mid-stream; a printed id is a promise that the event is stored.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

from p2pvalue.config import load_config
from p2pvalue.node import Node


def batches(path: Path, size: int) -> list[list[Any]]:
    wires = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    return [wires[start : start + size] for start in range(0, len(wires), size)]


def main(argv: list[str]) -> int:
    data, events, size = Path(argv[0]), Path(argv[1]), int(argv[2])
    url = argv[3] if len(argv) > 3 else None
    with Node(load_config(data, url)) as node:
        for batch in batches(events, size):
            for outcome in node.ingest(batch):
                if outcome.status not in ("accepted", "rejected", "duplicate"):
                    print(f"unexpected {outcome}", file=sys.stderr, flush=True)
                    return 1
                sys.stdout.write(f"{outcome.id}\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
