"""The deterministic total order of concurrent events (order.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from p2pvalue.events.order import topological_order
from p2pvalue.events.types import RANK_GOVERNANCE, RANK_ORDINARY, RANK_REVOCATION, rank

Node = tuple[int, int, Sequence[str]]  # rank, depth, parents


def order(dag: Mapping[str, Node]) -> list[str]:
    keys = {event_id: (node[0], node[1], event_id) for event_id, node in dag.items()}
    prev = {event_id: node[2] for event_id, node in dag.items()}
    children: dict[str, list[str]] = {}
    for event_id, parents in prev.items():
        for parent in parents:
            children.setdefault(parent, []).append(event_id)
    return topological_order(keys, prev, children)


def test_event_types_rank_revocations_first() -> None:
    assert rank("member.remove") == rank("role.revoke") == RANK_REVOCATION
    assert rank("role.grant") == rank("member.join") == RANK_GOVERNANCE
    assert rank("post.create") == RANK_ORDINARY
    assert RANK_REVOCATION < RANK_GOVERNANCE < RANK_ORDINARY


def test_revocations_come_before_other_concurrent_events() -> None:
    dag: dict[str, Node] = {
        "root": (RANK_GOVERNANCE, 0, []),
        "a-post": (RANK_ORDINARY, 1, ["root"]),
        "b-grant": (RANK_GOVERNANCE, 1, ["root"]),
        "c-remove": (RANK_REVOCATION, 1, ["root"]),
    }
    assert order(dag) == ["root", "c-remove", "b-grant", "a-post"]


def test_rank_outweighs_depth_among_ready_events() -> None:
    dag: dict[str, Node] = {
        "root": (RANK_GOVERNANCE, 0, []),
        "post": (RANK_ORDINARY, 1, ["root"]),
        "remove": (RANK_REVOCATION, 9, ["root"]),
    }
    assert order(dag) == ["root", "remove", "post"]


def test_depth_then_id_break_ties_within_a_rank() -> None:
    dag: dict[str, Node] = {
        "root": (RANK_GOVERNANCE, 0, []),
        "z": (RANK_ORDINARY, 1, ["root"]),
        "a": (RANK_ORDINARY, 2, ["root"]),
        "m": (RANK_ORDINARY, 1, ["root"]),
    }
    assert order(dag) == ["root", "m", "z", "a"]


def test_parents_come_first_whatever_their_rank() -> None:
    dag: dict[str, Node] = {
        "root": (RANK_GOVERNANCE, 0, []),
        "post": (RANK_ORDINARY, 1, ["root"]),
        "remove-after-post": (RANK_REVOCATION, 2, ["post"]),
        "grant": (RANK_GOVERNANCE, 1, ["root"]),
    }
    assert order(dag) == ["root", "grant", "post", "remove-after-post"]


def test_a_revocation_only_jumps_ahead_once_it_is_ready() -> None:
    dag: dict[str, Node] = {
        "root": (RANK_GOVERNANCE, 0, []),
        "p1": (RANK_ORDINARY, 1, ["root"]),
        "p2": (RANK_ORDINARY, 2, ["p1"]),
        "late-remove": (RANK_REVOCATION, 3, ["p2"]),
        "side": (RANK_ORDINARY, 1, ["root"]),
        "side2": (RANK_ORDINARY, 2, ["side"]),
        "side3": (RANK_ORDINARY, 3, ["side2"]),
    }
    assert order(dag) == ["root", "p1", "side", "p2", "late-remove", "side2", "side3"]


def test_merge_waits_for_all_parents() -> None:
    dag: dict[str, Node] = {
        "root": (RANK_GOVERNANCE, 0, []),
        "left": (RANK_ORDINARY, 1, ["root"]),
        "right": (RANK_ORDINARY, 5, ["root"]),
        "merge": (RANK_REVOCATION, 6, ["left", "right"]),
    }
    assert order(dag) == ["root", "left", "right", "merge"]


def test_order_does_not_depend_on_mapping_order() -> None:
    dag: dict[str, Node] = {
        "root": (RANK_GOVERNANCE, 0, []),
        "x": (RANK_ORDINARY, 1, ["root"]),
        "y": (RANK_REVOCATION, 1, ["root"]),
        "w": (RANK_GOVERNANCE, 2, ["x", "y"]),
    }
    backwards = dict(reversed(list(dag.items())))
    assert order(dag) == order(backwards) == ["root", "y", "x", "w"]
