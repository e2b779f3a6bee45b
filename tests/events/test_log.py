"""Membership policies and roles as the log decides them (log.py over authority.py)."""

from __future__ import annotations

import pytest

from events.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    POSTER_CHARTER,
    SpaceBuilder,
    authority,
    decide,
    log_of,
    rebuilt,
)
from p2pvalue.events.authority import INVITED, LEFT, MEMBER, REMOVED, REQUESTED
from p2pvalue.events.event import Event
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.log import SpaceLog
from p2pvalue.governance.templates import default_charter


def status(log: SpaceLog, who: KeyPair) -> str | None:
    found = authority(log).members.get(who.did)
    return found.status if found else None


def join(space: SpaceBuilder, who: KeyPair) -> Event:
    return space.emit(who, "member.join", {}, [space.events[-1]])


def test_founder_can_post() -> None:
    space = SpaceBuilder()
    post = space.post(ALICE, [space.create])
    log = decide(space)
    assert log.order == [space.create.id, post.id]
    assert log.reasons == {space.create.id: None, post.id: None}
    assert authority(log).roles_of(ALICE.did) == {"admin", "member"}
    assert authority(log).creator == ALICE.did
    assert authority(log).name == "Commons"
    assert log.accepted == 2


def test_non_member_post_is_rejected() -> None:
    space = SpaceBuilder()
    post = space.post(BOB, [space.create])
    log = decide(space)
    assert log.reasons[post.id] == "not_a_member"
    assert log.accepted == 1


def test_open_space_join_then_post() -> None:
    space = SpaceBuilder()
    joined = join(space, BOB)
    post = space.post(BOB, [joined])
    log = decide(space)
    assert (log.reasons[joined.id], log.reasons[post.id]) == (None, None)
    assert authority(log).roles_of(BOB.did) == {"member"}
    assert authority(log).members[BOB.did].since == joined.id


def test_joining_twice_in_sequence_is_refused() -> None:
    space = SpaceBuilder()
    join(space, BOB)
    again = join(space, BOB)
    assert decide(space).reasons[again.id] == "already_a_member"


def test_invite_policy_needs_an_invitation() -> None:
    space = SpaceBuilder(charter=default_charter("invite"))
    uninvited = join(space, BOB)
    invite = space.on(ALICE, "member.invite", BOB, [uninvited])
    invited = space.emit(BOB, "member.join", {}, [invite])
    post = space.post(BOB, [invited])
    log = decide(space)
    assert log.reasons[uninvited.id] == "invitation_required"
    assert [log.reasons[e.id] for e in (invite, invited, post)] == [None, None, None]
    assert status(log, BOB) == MEMBER


def test_invitation_alone_does_not_make_a_member() -> None:
    space = SpaceBuilder(charter=default_charter("invite"))
    invite = space.on(ALICE, "member.invite", BOB, [space.create])
    post = space.post(BOB, [invite])
    log = decide(space)
    assert log.reasons[post.id] == "not_a_member"
    assert status(log, BOB) == INVITED


def test_approval_policy_request_then_admit() -> None:
    space = SpaceBuilder(charter=default_charter("approval"))
    direct = join(space, BOB)
    request = space.emit(BOB, "member.request", {"note": "hi"}, [direct])
    early_post = space.post(BOB, [request])
    admit = space.on(ALICE, "member.admit", BOB, [early_post])
    post = space.post(BOB, [admit])
    log = decide(space)
    assert log.reasons[direct.id] == "approval_required"
    assert log.reasons[request.id] is None
    assert log.reasons[early_post.id] == "not_a_member"
    assert (log.reasons[admit.id], log.reasons[post.id]) == (None, None)
    assert authority(log).roles_of(BOB.did) == {"member"}


def test_approval_policy_refusals() -> None:
    space = SpaceBuilder(charter=default_charter("approval"))
    unrequested = space.on(ALICE, "member.admit", BOB, [space.create])
    request = space.emit(BOB, "member.request", {}, [unrequested])
    twice = space.emit(BOB, "member.request", {}, [request])
    log = decide(space)
    assert log.reasons[unrequested.id] == "no_pending_request"
    assert log.reasons[twice.id] == "already_requested"
    assert status(log, BOB) == REQUESTED


def test_requests_are_not_used_in_an_open_space() -> None:
    space = SpaceBuilder()
    request = space.emit(BOB, "member.request", {}, [space.create])
    assert decide(space).reasons[request.id] == "requests_not_used"


def test_posting_needs_a_role_that_allows_it() -> None:
    space = SpaceBuilder(charter=POSTER_CHARTER)
    joined = join(space, CAROL)
    refused = space.post(CAROL, [joined])
    grant = space.role(ALICE, "role.grant", CAROL, "poster", [refused])
    allowed = space.post(CAROL, [grant])
    revoke = space.role(ALICE, "role.revoke", CAROL, "poster", [allowed])
    after_revoke = space.post(CAROL, [revoke])
    log = decide(space)
    assert log.reasons[refused.id] == "role_lacks_permission:post.create"
    assert [log.reasons[e.id] for e in (grant, allowed, revoke)] == [None, None, None]
    assert log.reasons[after_revoke.id] == "role_lacks_permission:post.create"
    assert authority(log).roles_of(CAROL.did) == {"member"}


@pytest.mark.parametrize(
    ("author", "type", "target", "role", "reason"),
    [
        (ALICE, "role.grant", CAROL, "judge", "unknown_role"),
        (ALICE, "role.grant", DAVE, "poster", "target_not_a_member"),
        (ALICE, "role.grant", CAROL, "member", "role_already_held"),
        (ALICE, "role.revoke", CAROL, "poster", "role_not_held"),
        (CAROL, "role.grant", CAROL, "admin", "role_lacks_permission:role.grant"),
        (DAVE, "role.grant", CAROL, "poster", "not_a_member"),
    ],
)
def test_role_change_refusals(
    author: KeyPair, type: str, target: KeyPair, role: str, reason: str
) -> None:
    space = SpaceBuilder(charter=POSTER_CHARTER)
    joined = join(space, CAROL)
    change = space.role(author, type, target, role, [joined])
    assert decide(space).reasons[change.id] == reason


def test_removed_member_loses_rights_and_needs_an_invitation_to_return() -> None:
    space = SpaceBuilder()
    join(space, BOB)
    remove = space.on(ALICE, "member.remove", BOB, [space.events[-1]])
    post = space.post(BOB, [remove])
    rejoin = space.emit(BOB, "member.join", {}, [post])
    invite = space.on(ALICE, "member.invite", BOB, [rejoin])
    back = space.emit(BOB, "member.join", {}, [invite])
    log = decide(space)
    assert log.reasons[remove.id] is None
    assert log.reasons[post.id] == "not_a_member"
    assert log.reasons[rejoin.id] == "removed_members_need_invitation"
    assert (log.reasons[invite.id], log.reasons[back.id]) == (None, None)
    assert status(log, BOB) == MEMBER


def test_remove_refusals() -> None:
    space = SpaceBuilder()
    joined = join(space, BOB)
    stranger = space.on(ALICE, "member.remove", DAVE, [joined])
    coup = space.on(BOB, "member.remove", ALICE, [stranger])
    log = decide(space)
    assert log.reasons[stranger.id] == "target_not_a_member"
    assert log.reasons[coup.id] == "role_lacks_permission:member.remove"
    assert status(log, ALICE) == MEMBER


def test_member_who_left_may_rejoin_an_open_space() -> None:
    space = SpaceBuilder()
    join(space, BOB)
    leave = space.emit(BOB, "member.leave", {}, [space.events[-1]])
    post = space.post(BOB, [leave])
    log_left = log_of(space.space, space.events)
    back = space.emit(BOB, "member.join", {}, [post])
    log = decide(space)
    assert status(log_left, BOB) == LEFT
    assert (log.reasons[leave.id], log.reasons[post.id]) == (None, "not_a_member")
    assert log.reasons[back.id] is None
    assert status(log, BOB) == MEMBER


def test_state_before_is_the_causal_past() -> None:
    space = SpaceBuilder()
    joined = join(space, BOB)
    remove = space.on(ALICE, "member.remove", BOB, [joined])
    log = decide(space)
    assert log.state_before(joined.id).is_member(BOB.did) is False
    assert log.state_before(remove.id).is_member(BOB.did) is True
    assert status(log, BOB) == REMOVED


def test_tips_are_the_events_without_children() -> None:
    space = SpaceBuilder()
    left = space.post(ALICE, [space.create], text="left")
    right = space.post(ALICE, [space.create], text="right")
    log = decide(space)
    assert log.tips == {left.id, right.id}
    merge = space.post(ALICE, [left, right])
    assert decide(space).tips == {merge.id}


def test_rebuild_from_children_first_input_has_the_same_tips() -> None:
    space = SpaceBuilder()
    post = space.post(ALICE, [space.create])
    assert rebuilt(space.space, [post, space.create]).tips == {post.id}
