"""The deterministic total order of a space's events.

Every node holding the same set of events computes the same order: a topological sort
(Kahn's algorithm) that, whenever several events are ready (all their parents placed, so
they are pairwise concurrent), takes the one with the smallest key

    (rank, depth, id)

where rank puts revocations (member.remove, role.revoke) first, then the rest of governance
and membership, then ordinary activity. Rank comes first so that the rules in force are
settled before the concurrent actions they govern are folded: a concurrent removal is
applied before a concurrent post, never after it. Depth then id make the rest a pure
function of the set; ids are hashes, so no author can choose where a tie lands.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence


def topological_order(
    keys: Mapping[str, tuple[int, int, str]],
    prev: Mapping[str, Sequence[str]],
    children: Mapping[str, Sequence[str]],
) -> list[str]:
    """All ids of `keys` ordered parents-first, ties broken by the smallest key."""
    waiting = {event_id: len(prev[event_id]) for event_id in keys}
    ready = [keys[event_id] for event_id, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        event_id = heapq.heappop(ready)[2]
        order.append(event_id)
        for child in children.get(event_id, ()):
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, keys[child])
    return order
