"""Concurrent events: the causal past decides, and revocations win (log.py)."""

from __future__ import annotations

import pytest

from events.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    POSTER_CHARTER,
    T0,
    SpaceBuilder,
    authority,
    decide,
    log_of,
    rebuilt,
)
from p2pvalue.events.event import Event
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.log import SpaceLog
from p2pvalue.ingest import entry_of


def joined(*members: KeyPair, charter: dict[str, object] | None = None) -> SpaceBuilder:
    """A space where `members` joined one after another on top of its creation."""
    space = SpaceBuilder(charter=charter)
    for who in members:
        space.emit(who, "member.join", {}, [space.events[-1]])
    return space


def removal(space: SpaceBuilder, by: KeyPair, who: KeyPair, after: Event, tag: str = "") -> Event:
    return space.emit(by, "member.remove", {"member": who.did, "reason": tag}, [after])


def test_post_concurrent_with_removal_is_rejected() -> None:
    space = joined(BOB)
    head = space.events[-1]
    remove = removal(space, ALICE, BOB, head)
    post = space.post(BOB, [head])
    log = decide(space)
    assert log.reasons[remove.id] is None
    assert log.reasons[post.id] == f"revoked_concurrently:{remove.id}"
    assert log.order.index(remove.id) < log.order.index(post.id)


def test_removal_arriving_late_changes_the_decision() -> None:
    space = joined(BOB)
    head = space.events[-1]
    post = space.post(BOB, [head])
    remove = removal(space, ALICE, BOB, head)
    log = log_of(space.space, space.events[:-1])
    assert log.reasons[post.id] is None
    delta = log.add(entry_of(remove))
    assert delta.reasons == {remove.id: None, post.id: f"revoked_concurrently:{remove.id}"}
    assert delta.moved_from == log.order.index(remove.id)


def test_backdated_post_far_behind_the_removal_is_rejected() -> None:
    space = joined(BOB)
    bob_joined = space.events[-1]
    for n in range(6):
        space.post(ALICE, [space.events[-1]], text=f"a{n}")
    remove = removal(space, ALICE, BOB, space.events[-1])
    backdated = space.emit(BOB, "post.create", {"text": "old"}, [bob_joined], ts=T0 - 1)
    log = decide(space)
    assert remove.depth - backdated.depth == 6
    assert log.reasons[backdated.id] == f"revoked_concurrently:{remove.id}"


def test_post_after_the_removal_is_not_a_member() -> None:
    space = joined(BOB)
    remove = removal(space, ALICE, BOB, space.events[-1])
    post = space.post(BOB, [remove])
    assert decide(space).reasons[post.id] == "not_a_member"


def test_post_the_removal_saw_stands() -> None:
    space = joined(BOB)
    post = space.post(BOB, [space.events[-1]])
    remove = removal(space, ALICE, BOB, post)
    log = decide(space)
    assert (log.reasons[post.id], log.reasons[remove.id]) == (None, None)


def test_governance_concurrent_with_its_authors_removal_is_rejected() -> None:
    space = joined(BOB, CAROL)
    grant = space.role(ALICE, "role.grant", BOB, "admin", [space.events[-1]])
    remove = removal(space, ALICE, BOB, grant)
    promote = space.role(BOB, "role.grant", CAROL, "moderator", [grant])
    log = decide(space)
    assert log.reasons[promote.id] == f"revoked_concurrently:{remove.id}"
    assert authority(log).roles_of(CAROL.did) == {"member"}


def test_backdated_governance_earlier_in_the_order_is_still_rejected() -> None:
    space = joined(BOB, CAROL)
    grant = space.role(ALICE, "role.grant", BOB, "admin", [space.events[-1]])
    for n in range(4):
        space.post(ALICE, [space.events[-1]], text=f"a{n}")
    remove = removal(space, ALICE, BOB, space.events[-1])
    kick = space.on(BOB, "member.remove", CAROL, [grant])
    log = decide(space)
    assert log.order.index(kick.id) < log.order.index(remove.id)
    assert log.reasons[kick.id] == f"revoked_concurrently:{remove.id}"
    assert authority(log).is_member(CAROL.did) is True


def _mutual_removal(tag: str) -> tuple[SpaceBuilder, Event, Event]:
    space = joined(BOB)
    grant = space.role(ALICE, "role.grant", BOB, "admin", [space.events[-1]])
    by_alice = removal(space, ALICE, BOB, grant, tag)
    by_bob = removal(space, BOB, ALICE, grant, tag)
    return space, by_alice, by_bob


@pytest.mark.parametrize("tag", ["a", "b", "c", "d", "e", "f"])
def test_mutual_removals_exactly_one_stands_whatever_the_arrival(tag: str) -> None:
    space, by_alice, by_bob = _mutual_removal(tag)
    winner, loser = sorted((by_alice, by_bob), key=lambda event: event.id)
    head = space.events[:-2]
    logs = [
        log_of(space.space, [*head, by_alice, by_bob]),
        log_of(space.space, [*head, by_bob, by_alice]),
        rebuilt(space.space, reversed(space.events)),
    ]
    for log in logs:
        assert log.reasons[winner.id] is None
        assert log.reasons[loser.id] == f"revoked_concurrently:{winner.id}"
        removed = BOB if winner is by_alice else ALICE
        assert authority(log).is_member(removed.did) is False
        assert authority(log).is_member(winner.author) is True


def test_mutual_removals_cover_both_outcomes() -> None:
    winners = set()
    for tag in "abcdefghijkl":
        _, by_alice, by_bob = _mutual_removal(tag)
        winners.add(min(by_alice, by_bob, key=lambda event: event.id).author)
    assert winners == {ALICE.did, BOB.did}


def test_concurrent_grant_does_not_authorize() -> None:
    space = joined(CAROL, charter=POSTER_CHARTER)
    head = space.events[-1]
    grant = space.role(ALICE, "role.grant", CAROL, "poster", [head])
    concurrent = space.post(CAROL, [head])
    after = space.post(CAROL, [grant])
    log = decide(space)
    assert log.reasons[grant.id] is None
    assert log.reasons[concurrent.id] == "role_lacks_permission:post.create"
    assert log.reasons[after.id] is None


def test_post_concurrent_with_revoking_the_role_it_needs_is_rejected() -> None:
    space = joined(CAROL, charter=POSTER_CHARTER)
    grant = space.role(ALICE, "role.grant", CAROL, "poster", [space.events[-1]])
    revoke = space.role(ALICE, "role.revoke", CAROL, "poster", [grant])
    post = space.post(CAROL, [grant])
    assert decide(space).reasons[post.id] == f"revoked_concurrently:{revoke.id}"


def test_revoking_a_role_the_post_does_not_need_leaves_it_standing() -> None:
    space = joined(CAROL)
    grant = space.role(ALICE, "role.grant", CAROL, "moderator", [space.events[-1]])
    revoke = space.role(ALICE, "role.revoke", CAROL, "moderator", [grant])
    post = space.post(CAROL, [grant])
    log = decide(space)
    assert (log.reasons[revoke.id], log.reasons[post.id]) == (None, None)


def test_rejected_removal_does_not_revoke_concurrent_posts() -> None:
    space = joined(BOB, CAROL)
    grant = space.role(ALICE, "role.grant", CAROL, "moderator", [space.events[-1]])
    demote = removal(space, ALICE, CAROL, grant)
    kick = removal(space, CAROL, BOB, grant)
    post = space.post(BOB, [grant])
    log = decide(space)
    assert log.reasons[demote.id] is None
    assert log.reasons[kick.id] == f"revoked_concurrently:{demote.id}"
    assert log.reasons[post.id] is None


def test_concurrent_duplicate_join_and_role_revoke_are_both_decided() -> None:
    # A second join from before the first is concurrent with a role revocation of its author;
    # applying that revocation to a state without the author must not fail.
    space = SpaceBuilder()
    first = space.emit(BOB, "member.join", {}, [space.create])
    grant = space.role(ALICE, "role.grant", BOB, "moderator", [first])
    revoke = space.role(ALICE, "role.revoke", BOB, "moderator", [grant])
    second = space.emit(BOB, "member.join", {}, [space.create])
    log = decide(space)
    assert [log.reasons[e.id] for e in (first, grant, revoke, second)] == [None] * 4
    assert authority(log).roles_of(BOB.did) == {"member"}


def _defeated_by_a_rejected_removal() -> tuple[SpaceLog, Event, Event]:
    for n in range(64):
        space = joined(BOB, CAROL)
        grant = space.role(ALICE, "role.grant", CAROL, "moderator", [space.events[-1]])
        chain = space.post(ALICE, [space.post(ALICE, [grant])])
        demote = removal(space, ALICE, CAROL, chain, f"a{n}")
        kick = removal(space, CAROL, BOB, chain, f"c{n}")
        if kick.id < demote.id:
            invite = space.on(BOB, "member.invite", DAVE, [grant])
            return decide(space), kick, invite
    raise AssertionError("no ordering found")


def test_event_defeated_only_by_a_rejected_removal_stands() -> None:
    log, kick, invite = _defeated_by_a_rejected_removal()
    assert log.reasons[kick.id] is not None
    assert log.reasons[invite.id] is None


def test_a_cycle_of_defeats_is_settled_by_the_order() -> None:
    """Alice grants Bob admin while removing herself; Bob, as admin, removes Alice.

    The grant stands only if Alice's self-removal falls, which falls only if Bob's removal
    stands, which needs the grant: no stable outcome. The order decides: the self-removal
    (a revocation, placed first) stands, the grant falls with it, and Bob's removal lacks
    the role it needed — whatever order the events arrive in.
    """
    space = joined(BOB)
    head = space.events[-1]
    grant = space.role(ALICE, "role.grant", BOB, "admin", [head])
    self_removal = removal(space, ALICE, ALICE, head)
    bob_removal = removal(space, BOB, ALICE, grant)
    expected = {
        self_removal.id: None,
        grant.id: f"revoked_concurrently:{self_removal.id}",
        bob_removal.id: "role_lacks_permission:member.remove",
    }
    base = space.events[:-3]
    for arrival in ([grant, self_removal, bob_removal], [self_removal, grant, bob_removal],
                    [grant, bob_removal, self_removal]):  # fmt: skip
        log = log_of(space.space, [*base, *arrival])
        assert {i: log.reasons[i] for i in expected} == expected
    assert {i: decide(space).reasons[i] for i in expected} == expected
