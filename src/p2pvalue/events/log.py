"""A space's log held in memory: the DAG, its order and the decision on every event.

Decisions follow DESIGN.md's rules:

* An event is judged against the authority folded from the accepted governance events in
  its causal past (`gov_past`), never against what else the node happens to hold.
* A revocation wins over concurrent actions: an event whose author lost the needed right
  through an accepted revocation concurrent with it (neither an ancestor of the other) is
  rejected as `revoked_concurrently`.
* Between two governance events that revoke each other's authors concurrently, the one
  earlier in the order (`order.py`) stands. Otherwise a governance event is defeated by a
  concurrent revocation wherever that revocation falls in the order, and only while that
  revocation itself stands: decisions are settled by repeating the pass until none changes
  (bounded, so even a contrived cycle ends in a result that depends on the set alone).

Every decision is a function of the set of events alone. Appending an event whose parents
are all current tips (the common case) is O(1); an event concurrent with others is placed
in O(events after its parents); only a concurrent revocation re-derives the whole space.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from p2pvalue.errors import EventError
from p2pvalue.events.authority import (
    REVOCATIONS,
    Action,
    Authority,
    Rules,
    apply,
    authorize,
    checks_author_only,
    founding,
    target_of,
)
from p2pvalue.events.order import topological_order
from p2pvalue.events.types import RANK_ORDINARY, rank

STATE_CACHE_SIZE = 2048
# Versions are unique across every log of the process, so a log reloaded from the store
# never shares a version with the one it replaced and stale derived state is never reused.
_VERSIONS = itertools.count(1)
UNDECIDED = "undecided"
SEALED = "sealed"  # the decision on every event of a space this node cannot read
MAX_PASSES = 1000


@dataclass(slots=True)
class Entry:
    """What the log keeps of an event; content only for governance events. Its type's
    rank is read once, here: the log orders by it and tells governance by it.

    Never changed once made, but not frozen: a frozen dataclass sets each field through
    `object.__setattr__`, and building a large space's entries took as long as reading
    its rows."""

    id: str
    type: str
    author: str
    prev: tuple[str, ...]
    depth: int
    ts: int
    content: Mapping[str, Any] | None = None
    rank: int = field(init=False)
    governs: bool = field(init=False)

    def __post_init__(self) -> None:
        self.rank = rank(self.type)
        self.governs = self.rank != RANK_ORDINARY

    @property
    def action(self) -> Action:
        return Action(self.id, self.type, self.author, self.content or {}, self.ts)


@dataclass
class Delta:
    """What an arrival changed: new or changed decisions, and where the order moved."""

    reasons: dict[str, str | None] = field(default_factory=dict)
    moved_from: int | None = None
    authority_changed: bool = False


class SpaceLog:
    """The in-memory index and fold of one space, under the kernel's authority rules and
    the domains' `rules`."""

    readable = True

    def __init__(self, space: str, rules: Rules, private: bool = False) -> None:
        self.space = space
        self.rules = rules
        self.private = private
        self.entries: dict[str, Entry] = {}
        self.children: dict[str, list[str]] = {}
        self.tips: set[str] = set()
        self.order: list[str] = []
        self.position: dict[str, int] = {}
        self.reasons: dict[str, str | None] = {}
        self.authority: Authority | None = None
        self.accepted = 0
        self.version = next(_VERSIONS)
        self._gov_ids: list[str] = []
        self._gov_bit: dict[str, int] = {}
        self._past: dict[str, int] = {}
        self._states: OrderedDict[int, Authority] = OrderedDict()
        # Whether the governance bits follow the order (not after a concurrent governance
        # event was placed among later ones), and whether a governance pass may read the
        # state of an event it has yet to judge again (see `_state`).
        self._bits_in_order = True
        self._lookahead = False
        self._revocations: dict[str, list[str]] = {}
        self._authored_past: dict[str, frozenset[str]] = {}
        self._transitions: dict[str, list[str]] = {}

    @classmethod
    def from_entries(
        cls, space: str, entries: Iterable[Entry], rules: Rules, private: bool = False
    ) -> SpaceLog:
        """Fold a whole stored log at once (rebuild, or loading a space)."""
        log = cls(space, rules, private)
        for entry in entries:
            log._insert(entry)
        log._recompute()
        return log

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def created_ts(self) -> int:
        return self.entries[self.space].ts

    def check_links(self, entry: Entry) -> list[str]:
        """The parents of `entry` this log lacks; raises if its depth is inconsistent."""
        missing = [p for p in entry.prev if p not in self.entries]
        if not missing:
            expected = 1 + max((self.entries[p].depth for p in entry.prev), default=-1)
            if entry.depth != expected:
                raise EventError("bad_depth", f"depth is {entry.depth}; parents give {expected}")
            latest = max((self.entries[p].ts for p in entry.prev), default=entry.ts)
            if entry.ts < latest:
                raise EventError("ts_before_parents", f"ts is {entry.ts}; a parent's is {latest}")
        return missing

    def add(self, entry: Entry) -> Delta:
        """Add an event whose parents are all present and decide it (and whatever it changes)."""
        if entry.id in self.entries:
            return Delta()
        self.version = next(_VERSIONS)
        appended = bool(self.entries) and set(entry.prev) == self.tips
        self._insert(entry)
        if appended:
            return self._append(entry)
        if self.entries[self.space] is not entry and not self._rejudges_others(entry):
            return self._insert_concurrent(entry)
        return self._recompute_with_delta()

    def _recompute_with_delta(self) -> Delta:
        before = dict(self.reasons)
        old_order = self.order
        old_authority = self.authority
        self._recompute()
        pairs = enumerate(zip(old_order, self.order, strict=False))
        moved = next((i for i, (old, new) in pairs if old != new), len(old_order))
        delta = Delta(moved_from=moved)
        delta.reasons = {i: r for i, r in self.reasons.items() if i not in before or before[i] != r}
        delta.authority_changed = self.authority != old_authority
        return delta

    def state_before(self, event_id: str) -> Authority:
        """The authority an event was judged against: its causal past's accepted governance."""
        return self._state(self._past[event_id])

    @property
    def governance_ids(self) -> list[str]:
        """The governance events (not in order): few beside a space's ordinary activity."""
        return list(self._gov_ids)

    def state_after(self, prev: Iterable[str]) -> Authority:
        """The authority of the causal past of an event on `prev` (all present), before it."""
        return self._state(self._past_of(Entry("", "", "", tuple(prev), 0, 0)))

    def _insert(self, entry: Entry) -> None:
        self._link(entry)
        target = self._target(entry) if entry.governs else None
        if target is not None:
            self._revocations.setdefault(target, []).append(entry.id)
        if entry.type in self.rules.steps:
            self._transitions.setdefault(self._subject(entry), []).append(entry.id)

    def _link(self, entry: Entry) -> None:
        self.entries[entry.id] = entry
        if entry.id not in self.children:
            self.tips.add(entry.id)
        for parent in entry.prev:
            self.children.setdefault(parent, []).append(entry.id)
            self.tips.discard(parent)

    def _place(self, entry: Entry) -> int:
        """Put an event without children where Kahn's algorithm would: see below."""
        key = _key(entry)
        after = max(self.position[parent] for parent in entry.prev) + 1
        at = next(
            (i for i in range(after, len(self.order)) if key < _key(self.entries[self.order[i]])),
            len(self.order),
        )
        self.order.insert(at, entry.id)
        for index in range(at, len(self.order)):
            self.position[self.order[index]] = index
        return at

    def _insert_concurrent(self, entry: Entry) -> Delta:
        """Place an event that is not a revocation among events concurrent with it.

        Adding an event without children never changes the relative order of the others
        (Kahn's algorithm picks among the same ready sets), so it goes to the first place
        after its parents where its key is smaller than the one Kahn would pick next. Only
        a revocation can change other decisions, so nothing else is re-judged.
        """
        at = self._place(entry)
        self._past[entry.id] = self._past_of(entry)
        if entry.governs:
            self._assign_bit(entry)
            self._bits_in_order = self._bits_in_order and at == len(self.order) - 1
        reason = self._judge(entry.id)
        self.reasons[entry.id] = reason
        self.accepted += reason is None
        delta = Delta({entry.id: reason}, moved_from=at)
        if entry.governs and reason is None:
            self.authority = self._fold((1 << len(self._gov_ids)) - 1)
            delta.authority_changed = True
        return delta

    def _append(self, entry: Entry) -> Delta:
        self.position[entry.id] = len(self.order)
        self.order.append(entry.id)
        self._past[entry.id] = self._past_of(entry)
        if entry.governs:
            self._assign_bit(entry)
        reason = authorize(entry.action, self._state(self._past[entry.id]), self.rules)
        self.reasons[entry.id] = reason
        self.accepted += reason is None
        delta = Delta({entry.id: reason}, moved_from=len(self.order) - 1)
        if entry.governs and reason is None and self.authority is not None:
            self.authority = apply(self.authority, entry.action, self.rules)
            delta.authority_changed = True
        return delta

    def _assign_bit(self, entry: Entry) -> None:
        self._gov_bit[entry.id] = len(self._gov_ids)
        self._gov_ids.append(entry.id)

    def _past_of(self, entry: Entry) -> int:
        """The governance events in the causal past of `entry`, as a mask of their bits. An
        event on one parent that is not governance shares that parent's mask: a long run of
        activity then holds one mask, not one of its own per event."""
        if len(entry.prev) == 1 and entry.prev[0] not in self._gov_bit:
            return self._past[entry.prev[0]]
        mask = 0
        for parent in entry.prev:
            mask |= self._past[parent]
            bit = self._gov_bit.get(parent)
            if bit is not None:
                mask |= 1 << bit
        return mask

    def _recompute(self) -> None:
        keys = {e.id: _key(e) for e in self.entries.values()}
        prev = {e.id: e.prev for e in self.entries.values()}
        self.order = topological_order(keys, prev, self.children)
        self.position = {event_id: i for i, event_id in enumerate(self.order)}
        self._gov_ids, self._gov_bit = [], {}
        self._bits_in_order = True
        for event_id in self.order:
            entry = self.entries[event_id]
            self._past[event_id] = self._past_of(entry)
            if entry.governs:
                self._assign_bit(entry)
        self._decide_governance()
        self._decide_ordinary()
        self.authority = self._state((1 << len(self._gov_ids)) - 1) if self._gov_ids else None
        self.accepted = list(self.reasons.values()).count(None)

    def _decide_governance(self) -> None:
        """Judge governance events in order, repeating until no decision changes.

        Within a pass, revocations earlier in the order count as this pass decided them and
        later ones as the previous pass did (none, in the first). Mutual concurrent
        revocations are thus settled in favour of the earlier one, and a defeat whose cause
        is itself later rejected is lifted on the next pass. Defeats can form a cycle with
        no stable outcome (A's grant is defeated by A's removal, which is defeated by a
        removal that needs the grant); the passes then repeat a state, and the order
        decides instead: one pass in which only earlier revocations count.

        Without revocations and lifecycle steps a decision depends only on those before it
        in the order, so the first pass is final.
        """
        seen: set[tuple[str | None, ...]] = set()
        previous = self._governance_pass(later_count=None)
        if not self._revocations and not self._transitions:
            return
        while len(seen) < MAX_PASSES:
            current = self._governance_pass(later_count=True)
            if current == previous:
                return
            if current in seen:
                break
            seen.add(current)
            previous = current
        self._governance_pass(later_count=None)

    def _governance_pass(self, later_count: bool | None) -> tuple[str | None, ...]:
        """One pass over governance events; `later_count=None` starts afresh, ignoring
        revocations later in the order."""
        if later_count is None:
            for event_id in self._gov_ids:
                self.reasons[event_id] = UNDECIDED
        self._states.clear()
        self._lookahead = later_count is True and bool(self._transitions)
        for event_id in self._gov_ids:
            self.reasons[event_id] = self._judge(event_id, later_count)
        self._lookahead = False
        return tuple(self.reasons[event_id] for event_id in self._gov_ids)

    def _judge(self, event_id: str, later_count: bool | None = True) -> str | None:
        entry = self.entries[event_id]
        if entry.type == "space.create":
            return None if not entry.prev and event_id == self.order[0] else "space_exists"
        state = self._state(self._past[event_id])
        reason = authorize(entry.action, state, self.rules)
        if reason is not None:
            return reason
        for revocation in self._concurrent_revocations(entry):
            if later_count is None and self.position[revocation] > self.position[event_id]:
                continue
            revoked = apply(state, self._revoking(revocation), self.rules)
            if authorize(entry.action, revoked, self.rules):
                return f"revoked_concurrently:{revocation}"
        if entry.type in self.rules.steps:
            return self._decided_concurrently(entry)
        return None

    def _target(self, entry: Entry) -> str | None:
        """Whose rights `entry` revokes: a removal or role revocation, or an event that
        carries one out (the close of a passed proposal: a community's revocation wins
        like any other)."""
        if entry.type not in self.rules.carries:
            return target_of(entry.action)
        action = self._carried(entry)
        return str(action["member"]) if action is not None else None

    def _carried(self, entry: Entry) -> Mapping[str, Any] | None:
        """The revoking action `entry` carries out, if it carries one (see `Rules.carries`)."""
        carries = self.rules.carries.get(entry.type)
        action = carries(entry.action, self._content_of) if carries is not None else None
        return action if action is not None and action.get("type") in REVOCATIONS else None

    def _content_of(self, event_id: str) -> Mapping[str, Any] | None:
        found = self.entries.get(event_id)
        return found.content if found is not None else None

    def _subject(self, entry: Entry) -> str:
        """What a lifecycle step is a step of (a proposal, for governance's steps)."""
        subject: str = entry.action.content[self.rules.steps[entry.type]]
        return subject

    def _revoking(self, revocation: str) -> Action:
        """The action by which `revocation` removes rights (for a close: the one it carries)."""
        entry = self.entries[revocation]
        carried = self._carried(entry)
        if carried is None:
            return entry.action
        content = {key: carried[key] for key in ("member", "role") if key in carried}
        return Action(entry.id, carried["type"], entry.author, content, entry.ts)

    def _rejudges_others(self, entry: Entry) -> bool:
        """Whether an event can change decisions on events other than itself when it arrives
        concurrent with them: a revocation, or a step in a proposal's lifecycle."""
        return entry.type in self.rules.steps or self._target(entry) is not None

    def _decided_concurrently(self, entry: Entry) -> str | None:
        """Of concurrent lifecycle steps of one subject (a proposal's open, withdraw, close)
        only one stands: the one of lowest precedence (of closes, the one whose causal past
        holds the most ballots, so a close that leaves ballots out loses to one that saw
        them); otherwise the first in the order."""
        mine = self._precedence(entry)
        for other in self._transitions[self._subject(entry)]:
            if other == entry.id or self.reasons.get(other, "?") is not None:
                continue
            if self._ancestor(other, entry.id) or self._ancestor(entry.id, other):
                continue
            if self._precedence(self.entries[other]) < mine:
                return f"decided_concurrently:{other}"
        return None

    def _precedence(self, entry: Entry) -> tuple[int, int]:
        weigh = self.rules.precedence.get(entry.type)
        if weigh is None:
            return (0, self.position[entry.id])
        return (weigh(entry.action, self._state(self._past[entry.id])), self.position[entry.id])

    def _ancestor(self, earlier: str, later: str) -> bool:
        """Whether the governance event `earlier` is in the causal past of `later`."""
        return bool((self._past[later] >> self._gov_bit[earlier]) & 1)

    def _decide_ordinary(self) -> None:
        """Judge the ordinary events in order.

        Events in a row mostly have one causal governance past, and the kernel's check of
        activity reads only its author and type (`checks_author_only`): such an event,
        when no revocation aims at its author and it is no lifecycle step, is decided as
        the one before it of the same author and type against the same past was.
        """
        decided: dict[tuple[str, str], str | None] = {}
        past = None
        for event_id in self.order:
            entry = self.entries[event_id]
            if entry.governs:
                continue
            if self._past[event_id] != past:
                past = self._past[event_id]
                decided = {}
            alike = (entry.author, entry.type)
            if alike in decided:
                self.reasons[event_id] = decided[alike]
                continue
            reason = self.reasons[event_id] = self._judge(event_id)
            if self._decided_alike(entry):
                decided[alike] = reason

    def _decided_alike(self, entry: Entry) -> bool:
        """Whether the decision on the ordinary `entry` depends only on its author, its
        type and the state of its causal past."""
        return (
            entry.author not in self._revocations
            and entry.type not in self.rules.steps
            and checks_author_only(entry.type, self.rules)
        )

    def _concurrent_revocations(self, entry: Entry) -> list[str]:
        """Accepted revocations aimed at `entry`'s author that are concurrent with it, in order."""
        aimed = self._revocations.get(entry.author)
        if not aimed:
            return []
        found: list[str] = []
        past = self._past[entry.id]
        for revocation in aimed:
            if revocation == entry.id or self.reasons.get(revocation, "?") is not None:
                continue
            if (past >> self._gov_bit[revocation]) & 1:
                continue
            if not self._precedes(entry, revocation):
                found.append(revocation)
        return sorted(found, key=self.position.__getitem__)

    def _precedes(self, entry: Entry, later: str) -> bool:
        """Whether `entry` is an ancestor of the event `later`."""
        bit = self._gov_bit.get(entry.id)
        if bit is not None:
            return bool((self._past[later] >> bit) & 1)
        if entry.depth >= self.entries[later].depth:
            return False
        authored = self._authored_past.get(later)
        if authored is None:
            authored = self._authored_past[later] = self._ancestors_by(later, entry.author)
        return entry.id in authored

    def _ancestors_by(self, event_id: str, author: str) -> frozenset[str]:
        seen: set[str] = set()
        stack = list(self.entries[event_id].prev)
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.entries[current].prev)
        return frozenset(i for i in seen if self.entries[i].author == author)

    def _state(self, mask: int) -> Authority:
        """The authority folded from the accepted governance events in `mask`.

        The fold of `mask` is the fold of `mask` without its latest event, then that event
        if accepted. So a state is built on the nearest cached state below it, taking off
        the highest bit while that is the latest event (always, while the bits follow the
        order; else where the rest of the mask is that event's causal past); failing that,
        it is folded from the founding. A cached state is the fold of its mask under the
        decisions as they stand, except during a governance pass that may weigh a later
        lifecycle step by the state of its past (`_precedence`) before judging that past
        again (`_lookahead`): there a state is built only on the state of its latest
        event's causal past, so that a stale state is used exactly where it always was.
        """
        if mask == 0:
            return self._fold(0)
        cached = self._states.get(mask)
        if cached is not None:
            self._states.move_to_end(mask)
            return cached
        state = self._built_up(mask)
        if state is None:
            state = self._fold(mask)
        self._states[mask] = state
        if len(self._states) > STATE_CACHE_SIZE:
            self._states.popitem(last=False)
        return state

    def _built_up(self, mask: int) -> Authority | None:
        """The state of `mask` from the nearest cached state below it (see `_state`), or
        None if there is none to build on."""
        deep = not self._lookahead
        any_past = deep and self._bits_in_order
        latest: list[str] = []
        base = mask
        while True:
            last = base.bit_length() - 1
            last_id = self._gov_ids[last]
            base &= ~(1 << last)
            if last_id == self.space or base == 0:
                return None
            if not any_past and base != self._past[last_id]:
                return None
            latest.append(last_id)
            state = self._states.get(base)
            if state is not None:
                break
            if not deep:
                return None
        for event_id in reversed(latest):
            if self.reasons.get(event_id) is None:
                state = apply(state, self.entries[event_id].action, self.rules)
        return state

    def _fold(self, mask: int) -> Authority:
        """Fold the accepted governance events of `mask` in the space's order."""
        state = founding(self.space, self.entries[self.space].action)
        chosen = [event_id for bit, event_id in enumerate(self._gov_ids) if (mask >> bit) & 1]
        for event_id in sorted(chosen, key=self.position.__getitem__):
            if event_id != self.space and self.reasons.get(event_id) is None:
                state = apply(state, self.entries[event_id].action, self.rules)
        return state


class SealedLog(SpaceLog):
    """A private space on a node that holds none of its keys: the DAG, its order and its
    heads, kept and relayed without reading or judging anything (every event `sealed`)."""

    readable = False

    def _insert(self, entry: Entry) -> None:
        self._link(entry)

    def add(self, entry: Entry) -> Delta:
        if entry.id in self.entries:
            return Delta()
        self.version = next(_VERSIONS)
        appended = bool(self.entries) and set(entry.prev) == self.tips
        self._link(entry)
        if appended:
            at = len(self.order)
            self.position[entry.id] = at
            self.order.append(entry.id)
        elif entry.prev:
            at = self._place(entry)
        else:
            return self._recompute_with_delta()
        self.reasons[entry.id] = SEALED
        return Delta({entry.id: SEALED}, moved_from=at)

    def _recompute(self) -> None:
        keys = {e.id: _key(e) for e in self.entries.values()}
        prev = {e.id: e.prev for e in self.entries.values()}
        self.order = topological_order(keys, prev, self.children)
        self.position = {event_id: i for i, event_id in enumerate(self.order)}
        self.reasons = dict.fromkeys(self.order, SEALED)
        self.authority = None
        self.accepted = 0


def _key(entry: Entry) -> tuple[int, int, str]:
    """The tie-break key of `order.topological_order`."""
    return (entry.rank, entry.depth, entry.id)
