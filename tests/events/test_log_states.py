"""The states a log keeps and builds on are the folds of their governance pasts (log.py).

A state is built from the nearest cached one below it rather than folded from the founding,
so a cached state that is not the fold of its mask would spread to others. A small cache
makes the log build on few cached states and fold again often.
"""

from __future__ import annotations

import random
from typing import Any
from unittest.mock import patch

from hypothesis import given
from hypothesis import strategies as st

from events.helpers import ALICE, SpaceBuilder, key, log_of, parents_first, rebuilt
from events.test_log_properties import SETTINGS, random_spaces
from governance.test_lifecycle_properties import STEP, community, step
from p2pvalue.events import log as log_module
from p2pvalue.events.log import SpaceLog

SMALL_CACHE = 3


def assert_states_are_folds(log: SpaceLog) -> None:
    for mask, state in list(log._states.items()):
        assert state == log._fold(mask)
    for event_id in log.order:
        assert log.state_before(event_id) == log._fold(log._past[event_id])
    if log._gov_ids:
        assert log.authority == log._fold((1 << len(log._gov_ids)) - 1)


@SETTINGS
@given(space=random_spaces(), data=st.data())
def test_states_are_folds_in_random_spaces(space: SpaceBuilder, data: st.DataObject) -> None:
    rng = data.draw(st.randoms(use_true_random=False))
    with patch.object(log_module, "STATE_CACHE_SIZE", SMALL_CACHE):
        assert_states_are_folds(rebuilt(space.space, space.events))
        assert_states_are_folds(log_of(space.space, parents_first(space.events, rng)))


@SETTINGS
@given(st.lists(STEP, min_size=1, max_size=14), st.integers(0, 2**32))
def test_states_are_folds_with_concurrent_proposal_closes(steps: list[Any], seed: int) -> None:
    space, proposals, pool = community()
    for drawn in steps:
        step(space, proposals, pool, drawn)
    with patch.object(log_module, "STATE_CACHE_SIZE", SMALL_CACHE):
        reference = rebuilt(space.space, space.events)
        assert_states_are_folds(reference)
        log = log_of(space.space, parents_first(space.events, random.Random(seed)))
        assert_states_are_folds(log)
    assert (log.order, log.reasons, log.authority) == (
        reference.order,
        reference.reasons,
        reference.authority,
    )


def test_joins_between_activity_are_not_folded_again_from_the_founding() -> None:
    """Members joining one after another, with posts between some of them, as a space
    grows: loading it builds each state on the one before, however few the cache keeps
    (it used to fold every state it no longer kept from the founding on)."""
    space = SpaceBuilder()
    last = space.create
    for i in range(60):
        last = space.emit(key(f"member {i}"), "member.join", {}, [last])
        if i % 3 == 0:
            last = space.post(ALICE, [last])
    folds = 0
    fold = SpaceLog._fold

    def counted(log: SpaceLog, mask: int) -> Any:
        nonlocal folds
        folds += mask.bit_count() > 2
        return fold(log, mask)

    with (
        patch.object(log_module, "STATE_CACHE_SIZE", SMALL_CACHE),
        patch.object(SpaceLog, "_fold", counted),
    ):
        log = rebuilt(space.space, space.events)
        assert folds == 0  # beyond the founding and the first join
        assert_states_are_folds(log)
    assert log.accepted == len(space.events)
