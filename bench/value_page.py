"""The value page and the claims listing of the API on a space of ~18,000 accepted claims:
p95 milliseconds of their first page (30 requests each, in-process client), with the
ledger warm (folded by an earlier read) and cold (the first read after a change), against
the unpaginated rendering of every claim measured in the same run.

The baseline is the same page with its size raised to every claim, and every claim as
JSON the way the listing answered before it had pages (both medians of 3); the speedups
are baseline over paged median. Cold is one read right after one more claim was made,
with the ledger folded again (`fold_ms` is that fold alone).

Prints one JSON line: {"claims", "page_p95_ms", "api_p95_ms", "page_median_ms",
"api_median_ms", "page_kb", "api_kb", "cold_page_ms", "cold_api_ms", "fold_ms",
"all_claims_page_ms", "all_claims_api_ms", "all_claims_page_kb", "page_speedup",
"api_speedup", "build_seconds"}.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

import orjson
from fastapi import FastAPI

from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.config import init_data_dir
from p2pvalue.events.keys import KeyPair
from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from p2pvalue.web.value import listing as value_listing
from p2pvalue.web.value import query as value_query
from p2pvalue.web.value.api import claim_json

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

BATCH = 1000
MEMBERS = 20
KINDS = ("code", "docs", "design")


def build_space(node: Node, claims: int) -> tuple[str, KeyPair]:
    """A space whose `claims` claims, by `MEMBERS` members, were each approved by the next
    member; ingested a thousand at a time."""
    founder = node.accounts.register("founder", "bench-password")
    space = str(node.create_space(founder, "Bench").id)
    people: list[Account] = [founder]
    for index in range(1, MEMBERS):
        member = node.accounts.register(f"dev{index}", "bench-password")
        node.act(member, space, "member.join", {})
        people.append(member)
    keys = [node.accounts.key_of(person) for person in people]
    for start in range(0, claims, BATCH):
        size = min(BATCH, claims - start)
        made = node.writer.act_many(space, [_claim(keys, start + i) for i in range(size)])
        reviews: list[tuple[KeyPair, str, dict[str, Any]]] = [
            (keys[(start + i + 1) % MEMBERS], "contribution.review",
             {"claim": str(outcome.id), "verdict": "approve"})
            for i, outcome in enumerate(made)
        ]  # fmt: skip
        node.writer.act_many(space, reviews)
    return space, keys[0]


def _claim(keys: list[KeyPair], index: int) -> tuple[KeyPair, str, dict[str, Any]]:
    return keys[index % MEMBERS], "contribution.claim", _content(index)


def _content(index: int) -> dict[str, Any]:
    return {"kind": KINDS[index % len(KINDS)], "description": f"change {index}",
               "quantity": 1 + index % 5, "unit": "hours",
               "evidence": [f"git:{index:040x}"]}  # fmt: skip


def timed(request: Callable[[], Any], rounds: int) -> tuple[list[float], int]:
    """Milliseconds of each of `rounds` requests, and the size of the last answer."""
    times, size = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        response = request()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text[:500]
        size = len(response.content)
    return times, size


def first_read_after_a_change(
    node: Node, space: str, key: KeyPair, read: Callable[[], Any]
) -> float:
    """Milliseconds of `read` right after `key` made one more claim (the ledger changed)."""
    index = len(node.service(Value).ledger(space).claims) + 10**6
    node.writer.act_many(space, [(key, "contribution.claim", _content(index))])
    start = time.perf_counter()
    read()
    return round((time.perf_counter() - start) * 1000, 1)


def with_the_unpaged_listing(app: FastAPI, node: Node) -> FastAPI:
    """`app` with the claims listing as it was before it had pages, at /bench/all-claims,
    answered through the same FastAPI machinery."""

    @app.get("/bench/all-claims/{space_id}")
    def all_claims(space_id: str) -> dict[str, Any]:
        return {
            "claims": [
                claim_json(claim) for claim in node.service(Value).ledger(space_id).claims.values()
            ]
        }

    return app


def p95(times: list[float]) -> float:
    return round(statistics.quantiles(times, n=20)[-1], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=18_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, Node(init_data_dir(Path(folder))) as node:
        start = time.perf_counter()
        space, founder = build_space(node, args.claims)
        built = time.perf_counter() - start
        http = TestClient(with_the_unpaged_listing(create_app(node), node))
        page, api = f"/spaces/{space}/value", f"/api/v1/spaces/{space}/claims"
        cold_page = first_read_after_a_change(node, space, founder, lambda: http.get(page))
        cold_api = first_read_after_a_change(node, space, founder, lambda: http.get(api))
        fold = first_read_after_a_change(
            node, space, founder, lambda: node.service(Value).ledger(space)
        )
        page_times, page_size = timed(lambda: http.get(page), args.rounds)
        api_times, api_size = timed(lambda: http.get(api), args.rounds)
        every = len(node.service(Value).ledger(space).claims)
        with patch.object(value_listing, "MAX_LIMIT", every), \
             patch.object(value_query, "MAX_LIMIT", every):  # fmt: skip
            all_page, all_page_size = timed(lambda: http.get(page, params={"limit": every}), 3)
        all_api, _ = timed(lambda: http.get(f"/bench/all-claims/{space}"), 3)
    page_median, api_median = statistics.median(page_times), statistics.median(api_times)
    all_page_ms, all_api_ms = statistics.median(all_page), statistics.median(all_api)
    print(orjson.dumps({
        "claims": args.claims, "page_p95_ms": p95(page_times), "api_p95_ms": p95(api_times),
        "page_median_ms": round(page_median, 1), "api_median_ms": round(api_median, 1),
        "page_kb": page_size // 1024, "api_kb": api_size // 1024,
        "cold_page_ms": cold_page, "cold_api_ms": cold_api, "fold_ms": fold,
        "all_claims_page_ms": round(all_page_ms, 1), "all_claims_api_ms": round(all_api_ms, 1),
        "all_claims_page_kb": all_page_size // 1024,
        "page_speedup": round(all_page_ms / page_median, 1),
        "api_speedup": round(all_api_ms / api_median, 1), "build_seconds": round(built, 1),
    }).decode())  # fmt: skip


if __name__ == "__main__":
    main()
