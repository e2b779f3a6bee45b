"""Signatures verified in bulk, a big batch by a worker process (verifier.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from events.helpers import ALICE, BOB, SpaceBuilder
from p2pvalue import verifier
from p2pvalue.events.event import read_event
from p2pvalue.events.keys import Claim, verifies
from p2pvalue.verifier import SignatureChecker

SPACE = SpaceBuilder()
POSTS = [SPACE.post(ALICE if n % 2 else BOB, [SPACE.create], text=f"post {n}") for n in range(6)]
GOOD = [read_event(post.wire).claim for post in POSTS]


def _forged() -> list[Claim]:
    """Claims that must not verify: each changes one thing of a good one."""
    public, message, signature = GOOD[0]
    other_public, _, other_signature = GOOD[1]
    return [
        (public, message + b" ", signature),  # the message changed
        (public, message, other_signature),  # another message's signature
        (other_public, message, signature),  # another key (Bob's for Alice's post)
        (public, message, signature[:63]),  # a signature cut short
        (public, message, b""),  # no signature (not base64url text)
        (public[:31], message, signature),  # a key cut short
        (b"\xff" * 32, message, signature),  # not a point of the curve
        (bytes(32), message, bytes(64)),  # zeros, as a refused claim travels
    ]


CLAIMS = [claim for pair in zip(GOOD, _forged(), strict=False) for claim in pair] + _forged()
EXPECTED = [verifies(claim) for claim in CLAIMS]


@pytest.fixture
def checker(monkeypatch: pytest.MonkeyPatch) -> Iterator[SignatureChecker]:
    """A checker whose worker takes chunks of 4 claims, so that small batches go to it."""
    monkeypatch.setattr(verifier, "CHUNK", 4)
    found = SignatureChecker(use_worker=True)
    try:
        yield found
    finally:
        found.close()


def _verdicts(checker: SignatureChecker, claims: list[Claim]) -> list[bool]:
    batch = checker.batch()
    for claim in claims:
        batch.add(claim)
    return list(batch.verdicts())


def test_only_good_claims_verify() -> None:
    assert EXPECTED[:2] == [True, False] and sum(EXPECTED) == len(GOOD)
    assert all(verifies(claim) for claim in GOOD)
    assert not any(verifies(claim) for claim in _forged())


def test_the_worker_gives_the_verdicts_verifying_here_gives(checker: SignatureChecker) -> None:
    assert _verdicts(checker, CLAIMS) == EXPECTED
    assert checker._worker is not None  # the batch was big enough for the worker


def test_a_small_batch_is_verified_here(checker: SignatureChecker) -> None:
    assert _verdicts(checker, CLAIMS[:3]) == EXPECTED[:3]
    assert checker._worker is None


def test_without_a_second_core_nothing_is_started() -> None:
    checker = SignatureChecker(use_worker=False)
    assert _verdicts(checker, CLAIMS * 100) == EXPECTED * 100
    assert checker._worker is None


def test_a_worker_that_dies_is_replaced_and_its_chunks_verified_here(
    checker: SignatureChecker,
) -> None:
    assert _verdicts(checker, CLAIMS) == EXPECTED
    first = checker._worker
    assert first is not None
    first._process.kill()
    first._process.wait()
    batch = checker.batch()
    for claim in CLAIMS:
        batch.add(claim)
    assert list(batch.verdicts()) == EXPECTED  # sent to the dead worker: verified here
    assert _verdicts(checker, CLAIMS) == EXPECTED
    assert checker._worker is not None and checker._worker is not first
    assert first._process.stdout is not None and first._process.stdout.closed


def test_close_ends_the_worker_process(checker: SignatureChecker) -> None:
    assert _verdicts(checker, CLAIMS) == EXPECTED
    worker = checker._worker
    assert worker is not None
    checker.close()
    assert worker._process.returncode == 0
    assert _verdicts(checker, CLAIMS) == EXPECTED  # a later batch starts another


def test_a_worker_that_cannot_start_is_not_tried_again(
    checker: SignatureChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")
    assert _verdicts(checker, CLAIMS) == EXPECTED
    assert _verdicts(checker, CLAIMS) == EXPECTED
    assert not checker.use_worker and checker._worker is None
