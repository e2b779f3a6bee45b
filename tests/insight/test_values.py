"""Reputation over time takes each period's columns out of the columns of every claim; they
must be exactly the columns made from that period's claims alone."""

from __future__ import annotations

import random
from dataclasses import fields

import numpy as np
import pytest

from p2pvalue.accounting.reputation import ContributionNode, ReputationInput, reputation
from p2pvalue.insight.values import decided_by


def works(seed: int) -> tuple[list[str], list[ContributionNode]]:
    rng = random.Random(seed)
    people = [f"did:{i:02d}" for i in range(12)]
    found = []
    for n in range(rng.randint(1, 25)):
        authors = {p: rng.randint(1, 100) for p in rng.sample(people, rng.randint(1, 3))}
        reviewers = rng.sample(people, rng.randint(0, 2))
        endorsed = [(p, rng.randint(1, 5)) for p in rng.sample(people, rng.randint(0, 2))]
        artefact = rng.choice([None, "project:a", "project:b", "project:c"])
        found.append(ContributionNode(f"c{rng.randint(0, 10**6):07d}-{n}", rng.randint(1, 50),
                                      rng.randint(0, 10**9), authors, reviewers, endorsed,
                                      artefact))  # fmt: skip
    return rng.sample(people, 5), found


@pytest.mark.parametrize("seed", range(40))
def test_the_columns_of_a_period_are_those_of_its_claims_alone(seed: int) -> None:
    members, every = works(seed)
    full = ReputationInput(members, every).columns()
    rng = random.Random(seed)
    chosen = {work.id for work in every if rng.random() < 0.6} or {every[0].id}
    kept = np.array([work in chosen for work in full.contributions])
    base = np.array([did in members for did in full.contributors])
    found = decided_by(full, kept, base, 10**9)
    alone = ReputationInput(members, [w for w in every if w.id in chosen], now_ms=10**9).columns()
    for field in fields(alone):
        a, b = getattr(found, field.name), getattr(alone, field.name)
        if isinstance(b, np.ndarray):
            assert np.array_equal(a, b) and a.dtype == b.dtype, field.name
        elif isinstance(b, int):  # now_ms
            assert a == b
        else:
            assert list(a) == list(b), field.name
    assert reputation(found).scores == reputation(alone).scores
