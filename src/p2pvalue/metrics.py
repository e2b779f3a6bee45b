"""What a node counts for Prometheus: events by outcome, as they are ingested. The web layer
adds requests and their latency, and reads queue depths from the store when scraped
(`web.metrics`). Metrics live in this process's default registry."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import Counter

EVENTS = Counter(
    "p2pvalue_events_ingested",
    "Events through the write path, by outcome (accepted, rejected, refused, duplicate, "
    "pending) and source (local: acted or submitted on this node; remote: pushed or "
    "fetched from another node)",
    ["outcome", "source"],
)


def ingested(outcomes: Iterable[str], local: bool) -> None:
    """Count one batch's outcomes."""
    source = "local" if local else "remote"
    for outcome, count in Tally(outcomes).items():
        EVENTS.labels(outcome, source).inc(count)
