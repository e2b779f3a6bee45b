"""GET /metrics: Prometheus' text format, with requests by route, events by outcome and the
delivery queues as they stand; readable only by a scraper with the token, or from this
machine when no token is set."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from clock import MovableClock
from conftest import LIGHT_HASHING
from p2pvalue.config import init_data_dir, load_config
from p2pvalue.node import Node
from p2pvalue.store.schema import outbox
from p2pvalue.web.app import create_app
from serving import loopback, served

TOKEN = "a-scraper-token-of-some-length"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


WAIT = 60  # seconds a page may take on a loaded machine


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    config = init_data_dir(tmp_path / "node")
    with Node(config, password_hasher=LIGHT_HASHING, clock=MovableClock()) as running:
        yield running


def test_requests_events_and_queues_are_counted(node: Node) -> None:
    alice = node.accounts.register("alice", "correct horse battery")
    space = node.create_space(alice, "Maker Commons").id
    assert space is not None
    with served(create_app(node), loopback()) as url:
        before = httpx.get(f"{url}/metrics", timeout=WAIT)
        assert before.status_code == 200
        assert before.headers["content-type"].startswith("text/plain")
        for _ in range(3):
            assert httpx.get(f"{url}/spaces/{space}", timeout=WAIT).status_code == 200
        httpx.get(f"{url}/no/such/{'x' * 30}", timeout=WAIT)
        assert node.act(alice, space, "post.create", {"text": "hello"}).status == "accepted"
        with node.engine.begin() as conn:
            event = next(iter(node.events(space))).id
            conn.execute(outbox.insert(), [
                {"url": "https://peer.example", "space": space, "event_id": event,
                 "attempts": 0, "next_at": 0},
                {"url": "https://other.example", "space": space, "event_id": event,
                 "attempts": 2, "next_at": 0},
            ])  # fmt: skip
        node.clock.advance(90_000)  # type: ignore[attr-defined]
        after = httpx.get(f"{url}/metrics", timeout=WAIT).text

    page = {"method": "GET", "route": "/spaces/{space_id}", "status": "200"}
    assert (
        value(after, "p2pvalue_http_requests_total", **page)
        - value(before.text, "p2pvalue_http_requests_total", **page)
        == 3
    )
    assert value(after, "p2pvalue_http_requests_total", method="GET", route="unmatched",
                 status="404") >= 1  # fmt: skip
    assert not re.search(r"route=\"/no/such", after)
    accepted = {"outcome": "accepted", "source": "local"}
    assert (
        value(after, "p2pvalue_events_ingested_total", **accepted)
        - value(before.text, "p2pvalue_events_ingested_total", **accepted)
        == 1
    )
    assert value(after, "p2pvalue_queue_depth", queue="federation") == 2
    assert value(after, "p2pvalue_queue_retrying", queue="federation") == 1
    assert value(after, "p2pvalue_queue_depth", queue="messages") == 0
    assert value(after, "p2pvalue_federation_lag_seconds") >= 90


def test_only_this_machine_reads_them_without_a_token(node: Node) -> None:
    with served(create_app(node), loopback()) as url:
        assert httpx.get(f"{url}/metrics").status_code == 200
        through_proxy = httpx.get(f"{url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert through_proxy.status_code == 404
        assert "p2pvalue_" not in through_proxy.text


def test_with_a_token_only_its_holder_reads_them(tmp_path: Path) -> None:
    config = init_data_dir(tmp_path / "node")
    stored = json.loads((tmp_path / "node" / "config.json").read_text())
    (tmp_path / "node" / "config.json").write_text(json.dumps({**stored, "metrics_token": TOKEN}))
    with Node(load_config(tmp_path / "node"), password_hasher=LIGHT_HASHING) as node:
        assert node.config.metrics_token == TOKEN
        with served(create_app(node), loopback()) as url:
            assert httpx.get(f"{url}/metrics").status_code == 404
            wrong = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code in (401, 404) and "p2pvalue_" not in wrong.text
            right = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert right.status_code == 200 and "p2pvalue_queue_depth" in right.text
    del config


def test_a_short_token_is_a_configuration_error(tmp_path: Path) -> None:
    from p2pvalue.errors import P2PError

    init_data_dir(tmp_path / "node")
    (tmp_path / "node" / "config.json").write_text(json.dumps({"metrics_token": "short"}))
    with pytest.raises(P2PError, match="16 characters"):
        load_config(tmp_path / "node")
