"""The write path takes a big batch, verified on another core, as it takes events one by
one; a batch read ahead commits the same; the collector is back on after every batch
(ingest.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import LIGHT_HASHING
from events.helpers import ALICE, SpaceBuilder
from p2pvalue import verifier
from p2pvalue.config import init_data_dir
from p2pvalue.events.event import Event
from p2pvalue.node import Node
from p2pvalue.store import events as store
from p2pvalue.verifier import SignatureChecker

SPACE = SpaceBuilder()
CHAIN = [SPACE.create]
for number in range(1, 13):
    CHAIN.append(SPACE.post(ALICE, [CHAIN[-1]], text=f"post {number}"))
EMPTY_POST = SPACE.emit(ALICE, "post.create", {"text": ""}, [SPACE.create])


def _forged(event: Event) -> dict[str, Any]:
    """The event with another signature of the same length."""
    wire = event.wire
    wire["sig"] = ("B" if wire["sig"][0] == "A" else "A") + wire["sig"][1:]
    return wire


WIRES: list[Any] = [
    *(event.wire for event in CHAIN[:6]),
    _forged(CHAIN[6]),
    *(event.wire for event in CHAIN[7:]),
    EMPTY_POST.wire,
    _forged(EMPTY_POST),  # a bad signature is the first fault, before the content's
    "not an event",
]
EXPECTED = (
    [("accepted", None)] * 6
    + [("refused", "bad_signature")]
    + [("refused", "unknown_prev")] * 6
    + [("refused", "invalid_content"), ("refused", "bad_signature")]
    + [("refused", "malformed_event")]
)


def _node(path: Path, *, use_worker: bool) -> Node:
    node = Node(init_data_dir(path), password_hasher=LIGHT_HASHING)
    node.writer._signatures = SignatureChecker(use_worker=use_worker)
    return node


@pytest.fixture
def nodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Node, Node]]:
    """A node verifying batches of 4 or more in a worker process, and one without it."""
    monkeypatch.setattr(verifier, "CHUNK", 4)
    worker, local = _node(tmp_path / "w", use_worker=True), _node(tmp_path / "l", use_worker=False)
    try:
        yield worker, local
    finally:
        for node in (worker, local):
            node.writer.close()
            node.close()


def test_a_big_batch_gets_the_outcomes_events_get_one_by_one(nodes: tuple[Node, Node]) -> None:
    worker, local = nodes
    outcomes = worker.ingest(WIRES)
    assert [(o.status, o.code) for o in outcomes] == EXPECTED
    assert worker.writer._signatures._worker is not None
    singly = [local.ingest([wire])[0] for wire in WIRES]
    assert [(o.status, o.code) for o in singly] == EXPECTED
    assert [o.id for o in outcomes] == [o.id for o in singly]
    assert worker.space(SPACE.space).events == 6


def test_a_batch_read_before_the_one_before_it_commits_the_same(
    nodes: tuple[Node, Node],
) -> None:
    worker, local = nodes
    first = worker.writer.read(event.wire for event in CHAIN[:7])
    second = worker.writer.read(event.wire for event in CHAIN[7:])
    assert [o.status for o in worker.writer.commit(first)] == ["accepted"] * 7
    assert [o.status for o in worker.writer.commit(second)] == ["accepted"] * 6
    local.ingest([event.wire for event in CHAIN])
    copied, folded = worker.writer.log(SPACE.space), local.writer.log(SPACE.space)
    assert copied is not None and folded is not None
    assert (copied.order, copied.reasons) == (folded.order, folded.reasons)


def test_the_collector_is_back_on_after_a_batch_even_a_failed_one(
    nodes: tuple[Node, Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    worker, _ = nodes
    assert gc.isenabled()
    worker.ingest([CHAIN[0].wire])
    assert gc.isenabled()

    def broken(*args: object) -> None:
        assert not gc.isenabled()  # paused while the batch is committed
        raise RuntimeError("the disk is gone")

    monkeypatch.setattr(store, "insert_events", broken)
    with pytest.raises(RuntimeError):
        worker.ingest([CHAIN[1].wire])
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(RuntimeError):
            worker.ingest([CHAIN[1].wire])
        assert not gc.isenabled()  # a collector the caller turned off stays off
    finally:
        gc.enable()
