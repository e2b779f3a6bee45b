"""Proposals on the log: lifecycle, windows, the ballots a close counts, enactment, delegation
and secret ballots, judged by the pure log against real signed events."""

from __future__ import annotations

import itertools
import random
from typing import Any

from events.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    T0,
    SpaceBuilder,
    authority,
    decide,
    log_of,
    parents_first,
    rebuilt,
)
from p2pvalue.events.event import Event
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.log import SpaceLog
from p2pvalue.governance.lifecycle import commitment_of
from p2pvalue.governance.proposals import count_at_close, proposals_of
from p2pvalue.governance.templates import default_charter

HOUR = 3_600_000


def charter(**default: Any) -> dict[str, Any]:
    content = default_charter("open")
    content["timekeepers"] = [ALICE.did, CAROL.did]
    content["decisions"] = {
        "default": {"method": "majority", "window_hours": 1, **default},
        "charter": {"method": "majority", "threshold": "2/3", "window_hours": 2},
    }
    return content


class Community:
    """A space where alice founded and bob, carol and dave joined, one event after another."""

    def __init__(self, **default: Any) -> None:
        self.space = SpaceBuilder(charter=charter(**default))
        self.last: Event = self.space.create
        for who in (BOB, CAROL, DAVE):
            self.do(who, "member.join", {})

    def do(self, who: KeyPair, type: str, content: dict[str, Any], ts: int | None = None) -> Event:
        self.last = self.space.emit(who, type, content, [self.last], ts)
        return self.last

    def propose(self, action: dict[str, Any], ts: int = T0 + HOUR, **extra: Any) -> Event:
        """A proposal by Alice, which Carol, a timekeeper, holds at once unless a draft."""
        made = self.do(ALICE, "proposal.create", {"title": "t", "action": action, **extra}, ts)
        if not extra.get("draft"):
            self.tick(made, ts)
        return made

    def tick(self, proposal: Event, ts: int) -> Event:
        return self.do(CAROL, "clock.tick", {"events": [proposal.id]}, ts)

    def vote(self, who: KeyPair, proposal: Event, choice: str, ts: int) -> Event:
        return self.do(
            who, "vote.cast", {"proposal": proposal.id, "ballot": {"choice": choice}}, ts
        )

    def close(self, proposal: Event, outcome: str, ts: int, winners: tuple[str, ...] = ()) -> Event:
        content = {"proposal": proposal.id, "outcome": outcome, "winners": list(winners)}
        return self.do(CAROL, "proposal.close", content, ts)

    def decided(self) -> SpaceLog:
        return decide(self.space)


GRANT_BOB = {"type": "role.grant", "member": BOB.did, "role": "moderator"}


def test_a_passed_proposal_grants_the_role_when_its_window_closes() -> None:
    c = Community()
    proposal = c.propose(GRANT_BOB)
    for who in (ALICE, BOB, CAROL):
        c.vote(who, proposal, "yes", T0 + HOUR + 60_000)
    c.vote(DAVE, proposal, "no", T0 + HOUR + 70_000)
    early = c.close(proposal, "passed", T0 + 2 * HOUR - 1)
    closed = c.close(proposal, "passed", T0 + 2 * HOUR)
    log = c.decided()
    assert log.reasons[early.id] == "window_open"
    assert log.reasons[closed.id] is None
    state = authority(log)
    assert "moderator" in state.roles_of(BOB.did)
    found = proposals_of(state)[proposal.id]
    assert (found.status, found.closed_by, found.outcome) == ("enacted", closed.id, "passed")
    assert count_at_close(log, proposal.id)[1].figures["yes"] == 3


def test_a_close_must_state_the_outcome_its_ballots_give() -> None:
    c = Community()
    proposal = c.propose(GRANT_BOB)
    c.vote(BOB, proposal, "no", T0 + HOUR + 1)
    lying = c.close(proposal, "passed", T0 + 2 * HOUR)
    honest = c.close(proposal, "rejected", T0 + 2 * HOUR + 1)
    log = c.decided()
    assert (log.reasons[lying.id], log.reasons[honest.id]) == ("outcome_mismatch", None)
    assert proposals_of(authority(log))[proposal.id].status == "rejected"
    assert "moderator" not in authority(log).roles_of(BOB.did)


def test_ballots_outside_the_window_or_by_non_voters_are_refused() -> None:
    c = Community(voters="moderator")
    c.do(ALICE, "role.grant", {"member": CAROL.did, "role": "moderator"})
    proposal = c.propose({"type": "text"})
    before = c.vote(CAROL, proposal, "yes", T0 + HOUR - 1)
    outsider = c.vote(BOB, proposal, "yes", T0 + HOUR + 1)
    after = c.vote(CAROL, proposal, "yes", T0 + 2 * HOUR)
    blocked = c.vote(CAROL, proposal, "block", T0 + HOUR + 2)
    log = c.decided()
    assert log.reasons[before.id] == "voting_not_open"
    assert log.reasons[outsider.id] == "not_eligible"
    assert log.reasons[after.id] == "voting_closed"
    assert log.reasons[blocked.id] == "block_not_allowed"
    assert proposals_of(authority(log))[proposal.id].eligible == frozenset({CAROL.did})


def test_the_last_ballot_counts() -> None:
    c = Community()
    proposal = c.propose({"type": "text"})
    c.vote(BOB, proposal, "yes", T0 + HOUR + 1)
    c.vote(BOB, proposal, "no", T0 + HOUR + 2)
    c.vote(CAROL, proposal, "no", T0 + HOUR + 3)
    c.close(proposal, "rejected", T0 + 2 * HOUR)
    result = count_at_close(c.decided(), proposal.id)[1]
    assert (result.figures["yes"], result.figures["no"]) == (0, 2)


def test_a_close_counts_exactly_the_ballots_in_its_causal_past() -> None:
    c = Community()
    proposal = c.propose({"type": "text"})
    yes = c.vote(BOB, proposal, "yes", T0 + HOUR + 1)
    # Carol's "no" is concurrent with the close: signed, in the window, yet unseen by it.
    late_no = c.space.emit(
        CAROL,
        "vote.cast",
        {"proposal": proposal.id, "ballot": {"choice": "no"}},
        [yes],
        ts=T0 + HOUR + 2,
    )
    close = c.space.emit(
        ALICE,
        "proposal.close",
        {"proposal": proposal.id, "outcome": "passed", "winners": []},
        [yes],
        ts=T0 + 2 * HOUR,
    )
    log = c.decided()
    assert (log.reasons[late_no.id], log.reasons[close.id]) == (None, None)
    assert proposals_of(authority(log))[proposal.id].status == "enacted"


def test_of_concurrent_closes_seeing_the_same_ballots_the_first_in_the_order_stands() -> None:
    c = Community()
    proposal = c.propose({"type": "text"})
    vote = c.vote(BOB, proposal, "yes", T0 + HOUR + 1)
    closes = [
        c.space.emit(
            who,
            "proposal.close",
            {"proposal": proposal.id, "outcome": "passed", "winners": []},
            [vote],
            ts=T0 + 2 * HOUR + i,
        )
        for i, who in enumerate((CAROL, ALICE))
    ]
    reference = rebuilt(c.space.space, c.space.events)
    standing = [e.id for e in closes if reference.reasons[e.id] is None]
    assert len(standing) == 1
    assert all(
        reference.reasons[e.id] == f"decided_concurrently:{standing[0]}"
        for e in closes
        if e.id != standing[0]
    )
    rng = random.Random(7)
    for _ in range(20):
        log = log_of(c.space.space, parents_first(c.space.events, rng))
        assert (log.order, log.reasons) == (reference.order, reference.reasons)
    assert proposals_of(authority(reference))[proposal.id].closed_by == standing[0]


def test_a_charter_amendment_applies_its_merge_patch() -> None:
    c = Community()
    patch = {"membership": "invite", "roles": {"moderator": None, "steward": ["post.create"]}}
    proposal = c.propose({"type": "charter.amend", "patch": patch})
    for who in (ALICE, BOB, CAROL):
        c.vote(who, proposal, "yes", T0 + HOUR + 1)
    close = c.close(proposal, "passed", T0 + 3 * HOUR)
    state = authority(c.decided())
    assert state.charter.membership == "invite"
    assert "moderator" not in state.charter.roles
    assert state.charter.roles["steward"] == frozenset({"post.create"})
    assert [change.event for change in state.history] == [c.space.space, close.id]


def test_amending_a_policy_needs_the_stricter_of_the_two_bars() -> None:
    c = Community()
    stricter = {
        "decisions": {"default": {"method": "majority", "threshold": "3/4", "window_hours": 5}}
    }
    raise_bar = c.propose({"type": "charter.amend", "patch": stricter}, ts=T0 + HOUR)
    open_again = {"decisions": {"default": {"method": "majority", "window_hours": 1}}}
    state = authority(c.decided())
    policy = proposals_of(state)[raise_bar.id].policy
    assert policy is not None
    assert (policy.threshold, policy.window_hours) == ("2/3", 2)
    for who in (ALICE, BOB, CAROL):
        c.vote(who, raise_bar, "yes", T0 + HOUR + 1)
    c.close(raise_bar, "passed", T0 + 3 * HOUR)
    lower_bar = c.propose({"type": "charter.amend", "patch": open_again}, ts=T0 + 4 * HOUR)
    lowered = proposals_of(authority(c.decided()))[lower_bar.id].policy
    assert lowered is not None
    assert (lowered.threshold, lowered.window_hours) == ("3/4", 5)


def test_amendments_that_would_leave_the_charter_invalid_are_refused() -> None:
    c = Community()
    undefined = c.propose({"type": "charter.amend", "patch": {"member_roles": ["ghost"]}})
    no_amending = c.propose(
        {
            "type": "charter.amend",
            "patch": {"decisions": {"charter": {"method": "majority", "voters": "moderator"}}},
        }
    )
    log = c.decided()
    assert str(log.reasons[undefined.id]).startswith("invalid_charter:")
    assert log.reasons[no_amending.id] == "no_one_can_amend:no member holds role 'moderator'"


def test_an_action_that_no_longer_applies_is_not_enacted() -> None:
    c = Community()
    first = c.propose(GRANT_BOB)
    second = c.propose(GRANT_BOB, ts=T0 + HOUR + 1)
    for proposal in (first, second):
        for who in (ALICE, CAROL):
            c.vote(who, proposal, "yes", T0 + HOUR + 10)
    c.close(first, "passed", T0 + 3 * HOUR)
    c.close(second, "passed", T0 + 3 * HOUR + 1)
    proposals = proposals_of(authority(c.decided()))
    assert proposals[first.id].status == "enacted"
    assert (proposals[second.id].status, proposals[second.id].note) == (
        "rejected",
        "not_applicable:role_already_held",
    )


def test_delegation_is_transitive_overridden_by_ones_own_vote_and_loops_are_refused() -> None:
    c = Community()
    c.do(BOB, "delegation.set", {"kind": "text", "to": CAROL.did})
    c.do(CAROL, "delegation.set", {"kind": "*", "to": DAVE.did})
    loop = c.do(DAVE, "delegation.set", {"kind": "text", "to": BOB.did})
    proposal = c.propose({"type": "text"})
    c.vote(DAVE, proposal, "yes", T0 + HOUR + 1)
    c.vote(ALICE, proposal, "no", T0 + HOUR + 2)
    c.close(proposal, "passed", T0 + 2 * HOUR)
    log = c.decided()
    assert log.reasons[loop.id] == "delegation_loop"
    result = count_at_close(log, proposal.id)[1]
    # Dave votes for himself, Carol and (through Carol) Bob; Alice for herself.
    assert (result.figures["yes"], result.figures["no"]) == (3, 1)
    c2 = Community()
    c2.do(BOB, "delegation.set", {"kind": "*", "to": CAROL.did})
    proposal = c2.propose({"type": "text"})
    c2.vote(CAROL, proposal, "yes", T0 + HOUR + 1)
    c2.vote(BOB, proposal, "no", T0 + HOUR + 2)
    c2.close(proposal, "rejected", T0 + 2 * HOUR)
    overridden = count_at_close(c2.decided(), proposal.id)[1]
    assert (overridden.figures["yes"], overridden.figures["no"]) == (1, 1)


def test_secret_ballots_commit_then_reveal_and_only_matching_reveals_count() -> None:
    c = Community(secret=True, reveal_hours=1)
    proposal = c.propose({"type": "text"})
    yes, no = {"choice": "yes"}, {"choice": "no"}
    salts = {BOB: "b" * 20, CAROL: "c" * 20}
    for who, ballot in ((BOB, yes), (CAROL, no)):
        commitment = commitment_of(ballot, salts[who])
        c.do(who, "vote.commit", {"proposal": proposal.id, "commitment": commitment}, T0 + HOUR + 1)
    open_cast = c.vote(DAVE, proposal, "yes", T0 + HOUR + 2)
    early = c.do(
        BOB,
        "vote.reveal",
        {"proposal": proposal.id, "ballot": yes, "salt": salts[BOB]},
        T0 + 2 * HOUR - 1,
    )
    lie = c.do(
        CAROL,
        "vote.reveal",
        {"proposal": proposal.id, "ballot": yes, "salt": salts[CAROL]},
        T0 + 2 * HOUR,
    )
    good = c.do(
        BOB,
        "vote.reveal",
        {"proposal": proposal.id, "ballot": yes, "salt": salts[BOB]},
        T0 + 2 * HOUR + 1,
    )
    c.close(proposal, "passed", T0 + 3 * HOUR)
    log = c.decided()
    assert log.reasons[open_cast.id] == "ballot_is_secret"
    assert log.reasons[early.id] == "reveal_too_early"
    assert log.reasons[lie.id] == "reveal_mismatch"
    assert log.reasons[good.id] is None
    result = count_at_close(log, proposal.id)[1]
    assert (result.figures["yes"], result.figures["no"]) == (1, 0)


def test_drafts_open_later_and_proposals_can_be_withdrawn() -> None:
    c = Community()
    draft = c.propose({"type": "text"}, draft=True)
    early_vote = c.vote(BOB, draft, "yes", T0 + HOUR + 1)
    stranger_opens = c.do(BOB, "proposal.open", {"proposal": draft.id}, T0 + HOUR + 2)
    c.do(ALICE, "proposal.open", {"proposal": draft.id}, T0 + HOUR + 3)
    c.do(ALICE, "proposal.withdraw", {"proposal": draft.id}, T0 + HOUR + 4)
    after = c.vote(BOB, draft, "yes", T0 + HOUR + 5)
    log = c.decided()
    assert log.reasons[early_vote.id] == "proposal_not_open"
    assert log.reasons[stranger_opens.id] == "not_the_proposer"
    assert log.reasons[after.id] == "proposal_not_open"
    assert proposals_of(authority(log))[draft.id].status == "withdrawn"


def test_removal_by_proposal_and_membership_by_vote() -> None:
    c = Community()
    newcomer = DAVE
    c.do(newcomer, "member.leave", {})
    removal = c.propose({"type": "member.remove", "member": CAROL.did})
    admit = c.propose({"type": "member.admit", "member": newcomer.did}, ts=T0 + HOUR + 1)
    for proposal in (removal, admit):
        for who in (ALICE, BOB):
            c.vote(who, proposal, "yes", T0 + HOUR + 10)
    c.close(removal, "passed", T0 + 3 * HOUR)
    # Carol closed the removal of herself; she is out, so Alice closes the admission.
    c.do(
        ALICE,
        "proposal.close",
        {"proposal": admit.id, "outcome": "passed", "winners": []},
        T0 + 3 * HOUR + 1,
    )
    state = authority(c.decided())
    assert not state.is_member(CAROL.did)
    assert state.is_member(newcomer.did)


def test_any_arrival_order_gives_the_same_governance() -> None:
    c = Community()
    proposal = c.propose(GRANT_BOB)
    base = c.vote(ALICE, proposal, "yes", T0 + HOUR + 1)
    branches = [
        c.space.emit(
            who,
            "vote.cast",
            {"proposal": proposal.id, "ballot": {"choice": choice}},
            [base],
            ts=T0 + HOUR + 2,
        )
        for who, choice in ((BOB, "yes"), (CAROL, "no"), (DAVE, "yes"))
    ]
    close = c.space.emit(
        ALICE,
        "proposal.close",
        {"proposal": proposal.id, "outcome": "passed", "winners": []},
        branches,
        ts=T0 + 2 * HOUR,
    )
    reference = rebuilt(c.space.space, c.space.events)
    assert reference.reasons[close.id] is None
    for seed in itertools.islice(itertools.count(), 15):
        log = log_of(c.space.space, parents_first(c.space.events, random.Random(seed)))
        assert (log.order, log.reasons, log.authority) == (
            reference.order,
            reference.reasons,
            reference.authority,
        )


def test_an_election_by_a_ranking_method_elects_only_its_seats() -> None:
    content = charter()
    content["decisions"]["election"] = {"method": "schulze", "window_hours": 1}
    c = Community.__new__(Community)
    c.space = SpaceBuilder(charter=content)
    c.last = c.space.create
    for who in (BOB, CAROL, DAVE):
        c.do(who, "member.join", {})
    options = [{"id": who.did} for who in (BOB, CAROL, DAVE)]
    election = c.propose({"type": "election", "role": "moderator"}, options=options)
    ranking = {"ranking": [CAROL.did, BOB.did, DAVE.did]}
    for who in (ALICE, BOB):
        c.do(who, "vote.cast", {"proposal": election.id, "ballot": ranking}, T0 + HOUR + 5)
    order = [CAROL.did, BOB.did, DAVE.did]
    close = {"proposal": election.id, "outcome": "passed", "winners": order}
    c.do(ALICE, "proposal.close", close, T0 + 2 * HOUR)
    state = authority(c.decided())
    assert [who for who in order if "moderator" in state.roles_of(who)] == [CAROL.did]
