"""Attacks on time: a member who lies about `ts` in their own signed events must not shorten a
voting window, skip a claim's review window, sneak a ballot past a close or close early.

The victim is a real node (SQLite and PostgreSQL) whose founder keeps time. The attacker is a
member with their own node, whose clock says whatever they like and whose events reach the
victim the way federation delivers them; or a member submitting self-signed events to the
victim's API.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from clock import MovableClock, advance
from conftest import LIGHT_HASHING
from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.config import init_data_dir
from p2pvalue.events.event import Event, build_event, now_ms, parse_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from web.client import ApiClient

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

HOUR = 3_600_000
NAMES = ("ann", "ben", "cat")
DAY = 24 * HOUR
MONTH = 30 * DAY
GRANT = {"type": "role.grant", "role": "admin"}
CLAIM = {"kind": "code", "description": "rewrote the parser", "quantity": 40, "unit": "hours"}


def charter() -> dict[str, Any]:
    content = default_charter("open")
    content["decisions"] = {"default": {"method": "majority", "window_hours": 72}}
    content["value"]["acceptance"] = {"approvals": 2, "lazy_hours": 72}
    return content


@dataclass
class Attack:
    """A community on `victim`, founded a month ago by ann (its timekeeper), with ben, cat
    and mallory; mallory also holds her key on `own`, her own node."""

    victim: Node
    own: Node
    space: str
    ann: Account
    ben: Account
    cat: Account
    mallory: KeyPair
    joined: Event  # mallory's join, a month old

    def forge(self, type: str, content: dict[str, Any], after: list[Event], ts: int) -> Event:
        """An event mallory signs herself, on parents she picks, with the time she likes."""
        depth = 1 + max(parent.depth for parent in after)
        prev = [parent.id for parent in after]
        return build_event(self.mallory, type, content, space=self.space, prev=prev,
                           depth=depth, ts=ts)  # fmt: skip

    def deliver(self, *events: Event) -> list[str]:
        """Mallory's node takes her events, then delivers them to the victim as federation
        does (no local-clock check: events from elsewhere may be old); the victim's outcomes."""
        wires = [event.wire for event in events]
        held = [o.status for o in self.own.ingest(wires)]
        assert "refused" not in held, "mallory's own node takes what she signed"
        return [o.status for o in self.victim.ingest(wires, origin=self.own.did)]

    def tips(self) -> list[Event]:
        """The victim's current tips: a forger who has seen everything builds on these."""
        log = self.victim.writer.log(self.space)
        assert log is not None
        return [_as_event(self.victim.event(tip).wire) for tip in sorted(log.tips)]

    def reason(self, event_id: str) -> str | None:
        log = self.victim.writer.log(self.space)
        assert log is not None
        return log.reasons[event_id]


def _as_event(wire: dict[str, Any]) -> Event:
    return parse_event(wire)


@pytest.fixture
def attack(tmp_path: Path, database_url: str | None) -> Iterator[Attack]:
    clock = MovableClock()
    clock.advance(-MONTH)
    config = init_data_dir(tmp_path / "victim", database_url)
    with Node(config, password_hasher=LIGHT_HASHING, clock=clock) as victim:
        ann, ben, cat = (victim.accounts.register(n, "correct horse") for n in NAMES)
        space = str(victim.create_space(ann, "Guild", charter=charter()).id)
        for person in (ben, cat):
            victim.act(person, space, "member.join", {})
        with Node(init_data_dir(tmp_path / "own"), password_hasher=LIGHT_HASHING) as own:
            mallory = own.accounts.key_of(own.accounts.register("mallory", "correct horse"))
            own.ingest([orjson.loads(line) for line in victim.export(space)])
            tip = _as_event(victim.event(max(victim.writer.log(space).tips)).wire)  # type: ignore[union-attr]
            join = build_event(mallory, "member.join", {}, space=space, prev=[tip.id],
                               depth=tip.depth + 1, ts=clock())  # fmt: skip
            assert [o.status for o in victim.ingest([join.wire])] == ["accepted"]
            own.ingest([join.wire])
            clock.advance(MONTH)  # the community's present
            yield Attack(victim, own, space, ann, ben, cat, mallory, join)


def test_a_backdated_proposal_and_ballot_do_not_pass_alone(attack: Attack) -> None:
    month_ago = attack.joined.ts
    grant = {**GRANT, "member": attack.mallory.did}
    proposal = attack.forge("proposal.create", {"title": "me", "action": grant},
                            [attack.joined], month_ago + 1)  # fmt: skip
    ballot = attack.forge("vote.cast", {"proposal": proposal.id, "ballot": {"choice": "yes"}},
                          [proposal], month_ago + 2)  # fmt: skip
    assert attack.deliver(proposal, ballot) == ["accepted", "accepted"]

    assert attack.victim.service(Governance).keep_deadlines() == 0  # on main: closed as passed
    opened = attack.victim.service(Governance).proposal(attack.space, proposal.id)
    assert opened.status == "open"
    assert opened.witnessed is not None and opened.witnessed >= attack.victim.clock() - 1000
    assert opened.closes_at >= attack.victim.clock() + 72 * HOUR - 1000

    for honest in (attack.ann, attack.ben, attack.cat):
        attack.victim.service(Governance).vote(honest, attack.space, proposal.id, {"choice": "no"})
    advance(attack.victim, 72 * HOUR + 60_000)
    assert attack.victim.service(Governance).keep_deadlines() == 1
    closed = attack.victim.service(Governance).proposal(attack.space, proposal.id)
    assert (closed.status, closed.outcome) == ("rejected", "rejected")
    assert "admin" not in attack.victim.service(Governance).authority(attack.space).roles_of(
        attack.mallory.did
    )


def test_a_backdated_close_by_a_member_is_rejected(attack: Attack) -> None:
    month_ago = attack.joined.ts
    grant = {**GRANT, "member": attack.mallory.did}
    proposal = attack.forge("proposal.create", {"title": "me", "action": grant},
                            [attack.joined], month_ago + 1)  # fmt: skip
    ballot = attack.forge("vote.cast", {"proposal": proposal.id, "ballot": {"choice": "yes"}},
                          [proposal], month_ago + 2)  # fmt: skip
    close = attack.forge("proposal.close", {"proposal": proposal.id, "outcome": "passed"},
                         [ballot], month_ago + 4 * DAY)  # fmt: skip
    attack.deliver(proposal, ballot, close)
    assert attack.reason(close.id) == "window_open"
    attack.victim.service(Governance).keep_deadlines()  # the timekeeper now holds it
    late = attack.forge("proposal.close", {"proposal": proposal.id, "outcome": "passed"},
                        [ballot], attack.victim.clock() + 4 * 60_000)  # fmt: skip
    attack.deliver(late)
    assert attack.reason(late.id) == "window_open"
    assert attack.victim.service(Governance).proposal(attack.space, proposal.id).status == "open"


def test_a_future_dated_close_is_refused_or_rejected(attack: Attack) -> None:
    grant = {**GRANT, "member": attack.mallory.did}
    proposal = attack.forge("proposal.create", {"title": "me", "action": grant},
                            [attack.joined], attack.victim.clock())  # fmt: skip
    attack.deliver(proposal)
    attack.victim.service(Governance).keep_deadlines()
    ballot = attack.forge("vote.cast", {"proposal": proposal.id, "ballot": {"choice": "yes"}},
                          [proposal], attack.victim.clock())  # fmt: skip
    attack.deliver(ballot)
    far = attack.forge("proposal.close", {"proposal": proposal.id, "outcome": "passed"},
                       [ballot], attack.victim.clock() + 4 * DAY)  # fmt: skip
    refused = attack.victim.ingest([far.wire], origin=attack.own.did)[0]
    assert (refused.status, refused.code) == ("refused", "timestamp_in_future")
    # Past the window by its own word, but not by the timekeeper's clock: still a member's.
    mine = attack.forge("proposal.close", {"proposal": proposal.id, "outcome": "passed"},
                        [ballot], attack.victim.clock() + 4 * 60_000)  # fmt: skip
    attack.victim.ingest([mine.wire], origin=attack.own.did)
    assert attack.reason(mine.id) == "window_open"
    advance(attack.victim, 73 * HOUR)
    theirs = attack.forge("proposal.close", {"proposal": proposal.id, "outcome": "passed"},
                          attack.tips(), attack.victim.clock())  # fmt: skip
    attack.victim.ingest([theirs.wire], origin=attack.own.did)
    assert attack.reason(theirs.id) == "not_a_timekeeper"


def test_a_ballot_backdated_behind_the_close_is_not_counted(attack: Attack) -> None:
    made = attack.victim.service(Governance).propose(
        attack.ann, attack.space, {"title": "Rename", "action": {"type": "text"}}
    )
    proposal = str(made.id)
    attack.victim.service(Governance).keep_deadlines()
    attack.victim.service(Governance).vote(attack.ann, attack.space, proposal, {"choice": "no"})
    attack.victim.service(Governance).vote(attack.ben, attack.space, proposal, {"choice": "no"})
    before_votes = _as_event(attack.victim.event(proposal).wire)
    advance(attack.victim, 73 * HOUR)
    assert attack.victim.service(Governance).keep_deadlines() == 1
    closed = attack.victim.service(Governance).proposal(attack.space, proposal)
    assert closed.outcome == "rejected"

    # Mallory signs two "yes" ballots dated inside the window: one on parents from before
    # the close (concurrent with it), one on top of the close.
    concurrent = attack.forge("vote.cast", {"proposal": proposal, "ballot": {"choice": "yes"}},
                              [before_votes], closed.opened_ts + 60_000)  # fmt: skip
    close_event = _as_event(attack.victim.event(str(closed.closed_by)).wire)
    after = attack.forge("vote.cast", {"proposal": proposal, "ballot": {"choice": "yes"}},
                         [close_event], close_event.ts)  # fmt: skip
    attack.victim.ingest([concurrent.wire, after.wire], origin=attack.own.did)
    assert attack.reason(after.id) == "proposal_not_open"
    recount = attack.victim.service(Governance).recount(proposal)
    assert recount.matches
    assert (recount.result["figures"]["yes"], recount.result["figures"]["no"]) == (0, 2)
    assert attack.victim.service(Governance).proposal(attack.space, proposal).outcome == "rejected"


def test_a_backdated_claim_is_not_accepted_without_review(attack: Attack) -> None:
    claim = attack.forge("contribution.claim", CLAIM, [attack.joined], attack.joined.ts + 1)
    close = attack.forge("contribution.close", {"claim": claim.id}, [claim],
                         attack.joined.ts + 4 * DAY)  # fmt: skip
    attack.deliver(claim, close)
    assert (
        attack.victim.service(Value).close_due_claims() == 0
    )  # on main: accepted at once, unreviewed
    ledger = attack.victim.service(Value).ledger(attack.space)
    assert ledger.claims[claim.id].status == "pending"
    assert ledger.void[close.id] == "window_open"
    witnessed = ledger.claims[claim.id].witnessed
    assert witnessed is not None and witnessed >= attack.victim.clock() - 1000
    dispute = {"claim": claim.id, "verdict": "dispute", "reason": "not in the repo"}
    attack.victim.act(attack.ben, attack.space, "contribution.review", dispute)
    advance(attack.victim, 73 * HOUR)
    assert attack.victim.service(Value).close_due_claims() == 0
    assert attack.victim.service(Value).ledger(attack.space).claims[claim.id].status == "disputed"


def test_an_undisputed_claim_is_accepted_a_window_after_the_timekeeper_held_it(
    attack: Attack,
) -> None:
    claim = attack.forge("contribution.claim", CLAIM, [attack.joined], attack.joined.ts + 1)
    attack.deliver(claim)
    assert attack.victim.service(Value).close_due_claims() == 0
    advance(attack.victim, 71 * HOUR)
    assert attack.victim.service(Value).close_due_claims() == 0
    advance(attack.victim, 2 * HOUR)
    assert attack.victim.service(Value).close_due_claims() == 1
    closing = attack.victim.service(Value).ledger(attack.space).claims[claim.id].decided_by
    assert attack.victim.event(str(closing)).author == attack.ann.did


@pytest.fixture
def api(sqlite_node: Node) -> Iterator[ApiClient]:
    with TestClient(create_app(sqlite_node)) as client:
        yield ApiClient(client)


@pytest.mark.parametrize(
    ("type", "content", "shift", "code"),
    [
        ("post.create", {"text": "from the past"}, -MONTH, "timestamp_out_of_range"),
        ("proposal.create", {"title": "me", "action": {"type": "text"}}, -MONTH,
         "timestamp_out_of_range"),
        ("contribution.claim", CLAIM, -MONTH, "timestamp_out_of_range"),
        ("proposal.close", {"proposal": "A" * 43, "outcome": "passed"}, 4 * DAY,
         "timestamp_in_future"),
    ],
)  # fmt: skip
def test_the_node_refuses_a_self_signed_event_far_from_its_clock(
    api: ApiClient, type: str, content: dict[str, Any], shift: int, code: str
) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    key = api.key_of(alice)
    prev, depth = api.tips(space)
    ts = now_ms() + shift
    lying = build_event(key, type, content, space=space, prev=prev, depth=depth, ts=ts)
    refused = api.submit(lying.wire)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, code)
    assert api.count(space) == 1  # the founding, nothing more


def test_an_event_dated_before_its_parents_is_refused(sqlite_node: Node) -> None:
    alice = sqlite_node.accounts.register("alice", "correct horse")
    space = str(sqlite_node.create_space(alice, "Guild").id)
    log = sqlite_node.writer.log(space)
    assert log is not None
    tip = log.entries[max(log.tips)]
    key = sqlite_node.accounts.key_of(alice)
    early = build_event(key, "post.create", {"text": "before"}, space=space, prev=[tip.id],
                        depth=tip.depth + 1, ts=tip.ts - 1)  # fmt: skip
    outcome = sqlite_node.ingest([early.wire])[0]
    assert (outcome.status, outcome.code) == ("refused", "ts_before_parents")
