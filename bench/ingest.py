"""Signed events verified, authorized and persisted per second on SQLite, against the raw
Ed25519 verification rate of the same machine measured in the same run.

Prints one JSON line: {"events", "events_per_s", "raw_verify_per_s", "ratio", ...}.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nacl.signing
import orjson

from bench.common import community_log, wires
from p2pvalue.config import init_data_dir
from p2pvalue.node import Node


def raw_verify_rate(samples: int) -> float:
    """Plain PyNaCl verifications per second of event-sized messages."""
    key = nacl.signing.SigningKey.generate()
    message = b"x" * 300
    signature = key.sign(message).signature
    verify = key.verify_key.verify
    start = time.perf_counter()
    for _ in range(samples):
        verify(message, signature)
    return samples / (time.perf_counter() - start)


def ingest_rate(events: list[dict[str, object]], batch: int) -> float:
    with tempfile.TemporaryDirectory() as folder, Node(init_data_dir(Path(folder))) as node:
        start = time.perf_counter()
        for offset in range(0, len(events), batch):
            outcomes = node.ingest(events[offset : offset + batch])
            assert all(o.status == "accepted" for o in outcomes), outcomes[0]
        return len(events) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    events = wires(list(community_log(args.events)))
    ingest, raw = [], []
    for _ in range(args.rounds):
        raw.append(raw_verify_rate(args.events))
        ingest.append(ingest_rate(events, args.batch))
    events_per_s, raw_per_s = statistics.median(ingest), statistics.median(raw)
    print(orjson.dumps({
        "events": args.events, "batch": args.batch, "rounds": args.rounds,
        "events_per_s": round(events_per_s), "raw_verify_per_s": round(raw_per_s),
        "ratio": round(events_per_s / raw_per_s, 3), "backend": "sqlite",
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
