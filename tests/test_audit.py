"""verify finds tampering; export and import carry a space to another node unchanged."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from p2pvalue import audit, demo
from p2pvalue.config import init_data_dir
from p2pvalue.errors import EventError, NotFound
from p2pvalue.events.canonical import b64u, canonical, digest
from p2pvalue.events.event import ENVELOPE_FIELDS
from p2pvalue.node import Node
from p2pvalue.store.projections import snapshot
from p2pvalue.store.schema import event_status, events, heads, members, pending_events, spaces

SPACE_COLUMNS = (
    (spaces, spaces.c.id),
    (members, members.c.space),
    (event_status, event_status.c.space),
    (heads, heads.c.space),
)
B64U = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture
def seeded(node: Node) -> tuple[Node, str]:
    """A node on each backend holding the demo community; the main space's id."""
    return node, demo.seed(node)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[tuple[Node, str]]:
    """A SQLite node holding the demo community, to export from."""
    with Node(init_data_dir(tmp_path / "source")) as running:
        yield running, demo.seed(running)


def stored(node: Node, space: str) -> list[tuple[str, bytes]]:
    """(id, body) of every stored event of `space`, in arrival order."""
    query = select(events.c.id, events.c.body).where(events.c.space == space)
    with node.engine.begin() as conn:
        return [(row.id, bytes(row.body)) for row in conn.execute(query.order_by(events.c.seq))]


def set_body(node: Node, event_id: str, body: bytes) -> None:
    with node.engine.begin() as conn:
        conn.execute(update(events).where(events.c.id == event_id).values(body=body))


def space_projections(node: Node, space: str) -> dict[str, list[tuple[Any, ...]]]:
    """The projection rows of one space, sorted in Python so backends compare equal."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with node.engine.begin() as conn:
        for table, column in SPACE_COLUMNS:
            rows = conn.execute(select(table).where(column == space))
            found[table.name] = sorted(tuple(row) for row in rows)
    return found


# verify


def test_an_untouched_log_verifies(seeded: tuple[Node, str]) -> None:
    node, space = seeded
    assert audit.verify(node, space) is None
    assert all(audit.verify(node, s.id) is None for s in node.spaces())


def test_verify_of_an_unknown_space_is_refused(seeded: tuple[Node, str]) -> None:
    node, _ = seeded
    with pytest.raises(NotFound) as refused:
        audit.verify(node, "A" * 43)
    assert refused.value.code == "unknown_space"


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_verify_names_the_event_whose_body_changed(sqlite_node: Node, data: st.DataObject) -> None:
    node = sqlite_node
    space = demo.seed(node)
    log = stored(node, space)
    event_id, body = data.draw(st.sampled_from(log), label="event")
    offset = data.draw(st.integers(0, len(body) - 1), label="offset")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != body[offset]), label="byte")
    set_body(node, event_id, body[:offset] + bytes([byte]) + body[offset + 1 :])
    try:
        problem = audit.verify(node, space)
    finally:
        set_body(node, event_id, body)
    assert problem is not None
    assert problem.event_id == event_id
    assert audit.verify(node, space) is None


def _signature_span(body: bytes) -> tuple[int, int]:
    start = body.index(b'"sig":"') + len(b'"sig":"')
    return start, body.index(b'"', start)


def _first_with_url_safe_char(log: list[tuple[str, bytes]]) -> tuple[str, bytes, int]:
    for event_id, body in log:
        start, end = _signature_span(body)
        for offset in range(start, end):
            if body[offset] in b"-_":
                return event_id, body, offset
    raise AssertionError("no signature holds '-' or '_'")


def test_a_signature_rewritten_in_the_standard_alphabet_is_tampering(
    seeded: tuple[Node, str],
) -> None:
    node, space = seeded
    event_id, body, offset = _first_with_url_safe_char(stored(node, space))
    swapped = b"+" if body[offset : offset + 1] == b"-" else b"/"
    set_body(node, event_id, body[:offset] + swapped + body[offset + 1 :])
    problem = audit.verify(node, space)
    assert problem is not None and problem.event_id == event_id


def test_a_signature_with_changed_padding_bits_is_tampering(seeded: tuple[Node, str]) -> None:
    node, space = seeded
    event_id, body = stored(node, space)[1]
    _, end = _signature_span(body)
    last = end - 1
    changed = B64U[B64U.index(body[last]) ^ 1]
    set_body(node, event_id, body[:last] + bytes([changed]) + body[last + 1 :])
    problem = audit.verify(node, space)
    assert problem is not None and problem.event_id == event_id


def test_a_changed_index_column_is_reported(seeded: tuple[Node, str]) -> None:
    node, space = seeded
    event_id = stored(node, space)[2][0]
    with node.engine.begin() as conn:
        conn.execute(update(events).where(events.c.id == event_id).values(type="post.create"))
    problem = audit.verify(node, space)
    assert problem is not None
    assert (problem.event_id, problem.code) == (event_id, "index_mismatch")


@pytest.mark.parametrize(
    ("column", "value"),
    [("reason", "forged_reason"), ("position", 10_000)],
)
def test_a_tampered_decision_is_reported(
    seeded: tuple[Node, str], column: str, value: object
) -> None:
    node, space = seeded
    event_id = stored(node, space)[3][0]
    with node.engine.begin() as conn:
        conn.execute(
            update(event_status).where(event_status.c.id == event_id).values({column: value})
        )
    problem = audit.verify(node, space)
    assert problem is not None
    assert (problem.event_id, problem.code) == (event_id, "decision_mismatch")


def test_a_flipped_accepted_flag_is_reported(seeded: tuple[Node, str]) -> None:
    node, space = seeded
    event_id = stored(node, space)[3][0]
    assert node.event(event_id).accepted is True
    with node.engine.begin() as conn:
        conn.execute(
            update(event_status).where(event_status.c.id == event_id).values(accepted=False)
        )
    problem = audit.verify(node, space)
    assert problem is not None
    assert (problem.event_id, problem.code) == (event_id, "decision_mismatch")


def test_a_missing_decision_is_reported(seeded: tuple[Node, str]) -> None:
    node, space = seeded
    event_id = stored(node, space)[-1][0]
    with node.engine.begin() as conn:
        conn.execute(delete(event_status).where(event_status.c.id == event_id))
    problem = audit.verify(node, space)
    assert problem is not None
    assert (problem.event_id, problem.code) == (event_id, "decision_mismatch")


def test_a_deleted_ancestor_is_reported_as_unknown_prev(seeded: tuple[Node, str]) -> None:
    node, space = seeded
    log = stored(node, space)
    removed = log[2][0]
    child = next(i for i, body in log if removed in orjson.loads(body)["prev"])
    with node.engine.begin() as conn:
        conn.execute(delete(events).where(events.c.id == removed))
    problem = audit.verify(node, space)
    assert problem is not None
    assert (problem.event_id, problem.code) == (child, "unknown_prev")
    assert removed in problem.message


def test_a_deleted_newest_event_is_reported(seeded: tuple[Node, str]) -> None:
    node, space = seeded
    newest = stored(node, space)[-1][0]
    with node.engine.begin() as conn:
        conn.execute(delete(events).where(events.c.id == newest))
    problem = audit.verify(node, space)
    assert problem is not None and problem.event_id == newest


def test_a_deleted_space_create_is_reported(seeded: tuple[Node, str]) -> None:
    node, space = seeded
    with node.engine.begin() as conn:
        conn.execute(delete(events).where(events.c.id == space))
    problem = audit.verify(node, space)
    assert problem is not None
    assert (problem.event_id, problem.code) == (space, "missing_create")


# export and import


def test_export_is_the_log_in_the_spaces_order(seeded: tuple[Node, str]) -> None:
    node, space = seeded
    lines = list(node.export(space))
    ids = [event.id for event in node.events(space, limit=1000)]
    assert len(lines) == len(ids) == 28
    assert [_id_of(orjson.loads(line)) for line in lines] == ids
    assert lines[0] == dict(stored(node, space))[space]


def test_import_reproduces_the_space(source: tuple[Node, str], node: Node) -> None:
    origin, space = source
    lines = list(origin.export(space))
    summary = origin.space(space)

    counts = audit.import_lines(node, lines)

    assert counts == {"accepted": summary.accepted, "rejected": summary.events - summary.accepted}
    assert space_projections(node, space) == space_projections(origin, space)
    assert audit.verify(node, space) is None
    assert list(node.export(space)) == lines


def test_importing_twice_only_finds_duplicates(source: tuple[Node, str], node: Node) -> None:
    origin, space = source
    lines = list(origin.export(space))
    audit.import_lines(node, lines)
    with node.engine.begin() as conn:
        before = snapshot(conn)
    assert audit.import_lines(node, lines) == {"duplicate": len(lines)}
    with node.engine.begin() as conn:
        assert snapshot(conn) == before


@pytest.mark.parametrize(("seed", "batch"), [(1, audit.IMPORT_BATCH), (2, 3), (3, 1)])
def test_import_in_shuffled_order_ends_the_same(
    source: tuple[Node, str], node: Node, monkeypatch: pytest.MonkeyPatch, seed: int, batch: int
) -> None:
    origin, space = source
    lines = list(origin.export(space))
    shuffled = lines[:]
    random.Random(seed).shuffle(shuffled)
    assert shuffled != lines
    monkeypatch.setattr(audit, "IMPORT_BATCH", batch)

    counts = audit.import_lines(node, shuffled)

    assert sum(counts.values()) == len(lines) and counts["refused"] == 0
    assert space_projections(node, space) == space_projections(origin, space)
    with node.engine.begin() as conn:
        assert conn.scalar(select(pending_events.c.id)) is None
    assert audit.verify(node, space) is None


def test_a_forged_line_is_refused_and_not_stored(source: tuple[Node, str], node: Node) -> None:
    origin, space = source
    lines = list(origin.export(space))
    forged = _forge_text(lines[4], "I never wrote this")

    counts = audit.import_lines(node, [*lines[:5], forged, *lines[5:]])

    assert counts["refused"] == counts["refused:bad_signature"] == 1
    assert counts["accepted"] + counts["rejected"] == len(lines)
    with pytest.raises(NotFound):
        node.event(_id_of(orjson.loads(forged)))
    assert node.space(space).events == len(lines)
    assert audit.verify(node, space) is None


def test_a_malformed_line_stops_the_import(source: tuple[Node, str], node: Node) -> None:
    origin, space = source
    first = next(origin.export(space))
    with pytest.raises(EventError) as refused:
        audit.import_lines(node, [first, b"", b'{"v": 1, "type":'])
    assert refused.value.code == "malformed_json"
    assert "line 3" in refused.value.message


def _forge_text(line: bytes, text: str) -> bytes:
    """The event on `line` with new content and a matching hash, but its old signature."""
    wire = orjson.loads(line)
    wire["content"] = {**wire["content"], "text": text}
    wire["content_hash"] = digest(wire["content"])
    return canonical(wire)


def _id_of(wire: dict[str, Any]) -> str:
    envelope = {name: wire[name] for name in ENVELOPE_FIELDS if name in wire}
    return b64u(hashlib.sha256(canonical(envelope)).digest())
