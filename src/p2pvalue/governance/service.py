"""The node's side of governance: proposing with frozen weights, voting (openly or sealed),
keeping deadlines by emitting reveals and closes, recounting, and what a member should know.

Decisions themselves are pure (`governance.lifecycle`); this module only builds the events
a node's own members would emit and reads the state the log folded.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import nacl.exceptions
import nacl.secret
import orjson

from p2pvalue.accounting.money import largest_remainder
from p2pvalue.accounting.refusals import VALUE_REFUSALS
from p2pvalue.accounting.reputation import vote_weights
from p2pvalue.accounting.service import Value
from p2pvalue.accounts import Account
from p2pvalue.domain import Wiring
from p2pvalue.errors import NotFound, P2PError
from p2pvalue.events.authority import Action, Authority, authorize
from p2pvalue.events.canonical import b64u, canonical, check_signed_value, unb64u
from p2pvalue.events.keys import KeyPair
from p2pvalue.events.log import SpaceLog
from p2pvalue.events.types import parse_content
from p2pvalue.governance import outcomes
from p2pvalue.governance.enact import decision_policy
from p2pvalue.governance.export import to_blt, to_preflib
from p2pvalue.governance.lifecycle import (
    CHECKS,
    commitment_of,
    eligible_voters,
    kind_of,
    may_close_early,
)
from p2pvalue.governance.methods import check_ballot
from p2pvalue.governance.methods.ranked import RANKED_METHODS
from p2pvalue.governance.proposals import (
    OPEN,
    Proposal,
    at_close,
    casts,
    count,
    count_at_close,
    in_force,
    proposals_of,
    tally_figures,
)
from p2pvalue.governance.reminders import vote_reminder
from p2pvalue.governance.types import WEIGHT_SCALE, fraction
from p2pvalue.ingest import Outcome
from p2pvalue.timekeeping import local_timekeeper
from p2pvalue.wording import N_

# Proposals, ballots and delegations: the types the lifecycle judges; and what follows a close.
GOVERNANCE_TYPES = frozenset(CHECKS) | frozenset(outcomes.CHECKS)
CLOSING_SOON_MS = 24 * 3_600_000
_NOT_FOUND = {"unknown_proposal", "unknown_followup"}
_FORBIDDEN = {"not_a_member", "not_eligible", "not_the_proposer", "not_a_proposer",
              "not_a_timekeeper", "not_a_facilitator"}  # fmt: skip


GOVERNANCE_REFUSALS = {
    "no_decision_policy": N_("the charter has no decision policy for this kind of proposal"),
    "not_a_proposer": N_("the policy lets another role make this kind of proposal"),
    "options_need_choice_method": N_("options are for choice methods; this policy is yes/no"),
    "choice_method_needs_options": N_("this policy's method chooses among options: give some"),
    "option_needs_cost": N_("budgeting methods need a cost on every option"),
    "weights_required": N_("this policy weighs votes by reputation: the weights are frozen in"),
    "weights_not_used": N_("this policy gives every member one vote"),
    "weights_for_non_voters": N_("weights name every eligible voter, and are never negative"),
    "weights_not_normalised": N_("weights are parts per million and add up to 1,000,000"),
    "weight_above_cap": N_("a weight is above the policy's cap"),
    "unknown_proposal": N_("no such proposal in this space"),
    "proposal_not_draft": N_("only a draft can be opened"),
    "not_the_proposer": N_("only the proposer may do this"),
    "proposal_not_open": N_("the proposal is not open"),
    "ballot_is_secret": N_("this ballot is secret: commit now, reveal when voting ends"),
    "ballot_not_secret": N_("this ballot is open: cast it directly"),
    "voting_not_open": N_("the ballot is dated before the proposal opened"),
    "voting_closed": N_("the voting window has ended"),
    "not_eligible": N_("the policy does not let you vote on this"),
    "reveal_too_early": N_("ballots are revealed once voting has ended"),
    "reveal_closed": N_("the reveal period has ended"),
    "no_commitment": N_("there is no committed ballot to reveal"),
    "reveal_mismatch": N_("the ballot and salt do not match the commitment"),
    "self_delegation": N_("you cannot delegate to yourself"),
    "delegate_not_a_member": N_("delegates must be members"),
    "delegation_loop": N_("this delegation would form a loop"),
    "no_delegation": N_("you have no delegation for this kind"),
    "window_open": N_("the window is open and the outcome is not settled yet"),
    "not_a_timekeeper": N_(
        "only a timekeeper of the space closes a proposal once its window ran out"
    ),
    "reveals_started": N_("ballots are being revealed: it is too late to commit one"),
    "outcome_mismatch": N_("the outcome differs from the count of the ballots"),
    "unknown_role": N_("the charter defines no such role"),
    "candidate_not_a_member": N_("candidates must be members"),
    "invalid_charter": N_("the amended charter would be invalid"),
    "invalid_equation": N_("a new equation has a higher version and a later effective_from"),
    "no_one_can_amend": N_("no member could amend the charter afterwards"),
    "basis_not_used": N_("only majority has a threshold to count of the eligible weight"),
    "all_voted_needs_open_ballots": N_("secret ballots cannot close a proposal once all voted"),
    "value_not_enabled": N_("this space's charter has no value policy"),
    "bad_ballot": N_("the ballot is not of the shape this method counts"),
    "reason_required": N_("a block, or a -1 under lazy consensus, needs a reason"),
    "block_not_allowed": N_("this policy has no veto: vote no instead"),
    "unknown_option": N_("the ballot names an option the proposal does not have"),
    "duplicate_option": N_("the ballot names an option twice"),
    "too_many_approvals": N_("the ballot approves more options than the policy allows"),
    "score_out_of_range": N_("a score is outside the range the policy allows"),
    "credits_exceeded": N_("the squares of your votes add up to more than your credits"),
    "too_many_dots": N_("the ballot places more dots than the policy gives you"),
    "proposal_not_closed": N_("the proposal is not closed yet"),
    "option_not_a_time": N_("a meeting poll's options are UTC times such as 2026-12-10T15:00Z"),
    "not_a_facilitator": N_(
        "only the proposer or a facilitator (a role the charter lets do this) may"
    ),
    "proposal_not_passed": N_("follow-ups are for proposals that passed"),
    "applied_by_platform": N_(
        "the platform applied this decision itself; follow-ups are for words"
    ),
    "unknown_followup": N_("no such follow-up on this proposal"),
    "too_many_followups": N_("this proposal has as many follow-ups as it may have"),
}


def refusal(reason: str) -> P2PError:
    """The error for a governance event the charter refuses: its code, and the reason's
    detail where it has one (which role, which field), else what the code means."""
    code = reason.split(":", 1)[0]
    status = 404 if code in _NOT_FOUND else 403 if code in _FORBIDDEN else 422
    detail = reason.split(":", 1)[1] if ":" in reason else None
    return P2PError(code, detail or GOVERNANCE_REFUSALS.get(code, code), status)


@dataclass(frozen=True)
class Recount:
    close: str
    result: dict[str, Any]
    recorded: dict[str, Any]

    @property
    def matches(self) -> bool:
        """Whether the recount gives the outcome and winners the close recorded."""
        found = (self.result["outcome"], self.result["winners"])
        return found == (self.recorded["outcome"], self.recorded["winners"])


class Governance:
    """Governance as a node's members take part in it."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring

    def log(self, space: str) -> SpaceLog:
        log = self.wiring.writer.log(space)
        if log is None or log.authority is None:
            raise NotFound("unknown_space", f"no space {space!r} on this node")
        return log

    def authority(self, space: str) -> Authority:
        authority = self.log(space).authority
        assert authority is not None
        return authority

    def proposal(self, space: str, proposal_id: str) -> Proposal:
        found = proposals_of(self.authority(space)).get(proposal_id)
        if found is None:
            raise NotFound("unknown_proposal", f"no proposal {proposal_id!r} in this space")
        return found

    def precheck(
        self, account: Account, space: str, type: str, content: Mapping[str, Any], ts: int
    ) -> None:
        """Refuse, before anything is signed or stored, a governance event the charter in
        force would reject."""
        action = Action("-", type, account.did, content, ts)
        reason = authorize(action, self.authority(space), self.log(space).rules)
        if reason is not None:
            raise refusal(reason)

    def propose(
        self, account: Account, space: str, content: dict[str, Any], ts: int | None = None
    ) -> Outcome:
        """Make a proposal; opened at once unless a draft, with reputation weights frozen in
        when its policy weighs votes by reputation."""
        content = dict(content)
        parse_content("proposal.create", content)
        self._precheck_ledger(space, content["action"])
        if not content.get("draft"):
            content.update(self._weights(space, kind_of(content), content["action"]))
        return self.wiring.act(account, space, "proposal.create", content, ts)

    def _precheck_ledger(self, space: str, action: Mapping[str, Any]) -> None:
        """Refuse a spend beyond the treasury's balance, or settling a claim that is not
        disputed: the ledger would void such a decision when it passed."""
        kind = action.get("type")
        ledger = self.wiring.service(Value).ledger(space)
        if kind == "treasury.spend" and ledger.balance(action["currency"]) < action["amount"]:
            problem = VALUE_REFUSALS["insufficient_balance"]
            raise P2PError("insufficient_balance", problem, 422)
        if kind == "contribution.resolve" and action.get("claim"):
            claim = ledger.claims.get(action["claim"])
            if claim is None or claim.status != "disputed":
                code = "unknown_claim" if claim is None else "claim_not_disputed"
                raise P2PError(code, VALUE_REFUSALS[code], 422)

    def open(self, account: Account, space: str, proposal_id: str) -> Outcome:
        proposal = self.proposal(space, proposal_id)
        content = {"proposal": proposal_id, **self._weights(space, proposal.kind, proposal.action)}
        return self.wiring.act(account, space, "proposal.open", content)

    def _weights(self, space: str, kind: str, action: Mapping[str, Any]) -> dict[str, Any]:
        state = self.authority(space)
        policy = decision_policy(state.charter, kind, action)
        if policy is None or policy.weight != "reputation":
            return {}
        voters = sorted(eligible_voters(state, policy.voters))
        cap = fraction(policy.weight_cap) if policy.weight_cap else None
        shares = vote_weights(self.wiring.service(Value).reputation(space), voters, cap)
        if sum(shares.values(), Fraction(0)) == 0:
            shares = dict.fromkeys(voters, Fraction(1, max(len(voters), 1)))
        return {"weights": largest_remainder(WEIGHT_SCALE, shares)}

    def vote(
        self,
        account: Account,
        space: str,
        proposal_id: str,
        ballot: dict[str, Any],
        ts: int | None = None,
    ) -> Outcome:
        """Cast `ballot`; under a secret policy, commit to it (sealed so this node can reveal
        it for the member once voting ends)."""
        proposal = self.proposal(space, proposal_id)
        if proposal.policy is None or not proposal.policy.secret:
            content = {"proposal": proposal_id, "ballot": ballot}
            return self.wiring.act(account, space, "vote.cast", content, ts)
        check_signed_value(ballot, "$.ballot")
        self.precheck_ballot(proposal, ballot)
        salt = b64u(secrets.token_bytes(24))
        key = self.wiring.accounts.key_of(account)
        sealed = _box(key).encrypt(canonical({"ballot": ballot, "salt": salt}))
        content = {
            "proposal": proposal_id,
            "commitment": commitment_of(ballot, salt),
            "sealed": b64u(bytes(sealed)),
        }
        return self.wiring.act(account, space, "vote.commit", content, ts)

    def close(self, account: Account, space: str, proposal_id: str) -> Outcome:
        """Close a proposal now, with the outcome counted from the ballots this node holds:
        refused while its window is open unless its policy allows closing once settled."""
        proposal = self.proposal(space, proposal_id)
        if proposal.policy is None:
            raise refusal("proposal_not_open")
        return self.wiring.act(account, space, "proposal.close", self._closing(space, proposal))

    def _closing(self, space: str, proposal: Proposal) -> dict[str, Any]:
        """A close's content: the outcome counted from the ballots in the state right now."""
        result = count(proposal, in_force(proposal, self.authority(space)))
        outcome = "passed" if result.passed else "rejected"
        return {"proposal": proposal.id, "outcome": outcome, "winners": list(result.winners)}

    def precheck_ballot(self, proposal: Proposal, ballot: Mapping[str, Any]) -> None:
        problem = check_ballot(proposal.rules, proposal.options, ballot)
        if problem is not None:
            raise refusal(problem)

    def unwitnessed(self, space: str, state: Authority) -> list[str]:
        """The open proposals no timekeeper's tick listed yet (their window has not started)."""
        return sorted(
            p.id for p in proposals_of(state).values() if p.status == OPEN and p.witnessed is None
        )

    def keep_deadlines(self, now: int | None = None) -> int:
        """Start the windows this node keeps time for (`Wiring.tick`), reveal sealed
        ballots of this node's members and close every proposal whose window has ended (or
        whose outcome is settled, where early close is allowed). Returns how many reveals
        and closes were emitted."""
        now = self.wiring.clock() if now is None else now
        self.wiring.tick()
        emitted = 0
        for summary in self.wiring.directory.spaces(everyone=True):
            state = self.authority(summary.id)
            for proposal in list(proposals_of(state).values()):
                if proposal.status == OPEN:
                    emitted += self._keep(summary.id, proposal, now)
        return emitted

    def _keep(self, space: str, proposal: Proposal, now: int) -> int:
        if proposal.policy is None:
            return 0
        if may_close_early(proposal):
            return self._close(space, proposal, self._closer(space, proposal))
        if proposal.witnessed is None:
            return 0  # its window has not started: no timekeeper holds it yet
        if proposal.policy.secret and proposal.closes_at <= now < proposal.reveals_until:
            return self._reveal(space, proposal, now)
        if now >= proposal.reveals_until:
            keeper = local_timekeeper(self.wiring.accounts, self.authority(space))
            return self._close(space, proposal, keeper)
        return 0

    def _reveal(self, space: str, proposal: Proposal, now: int) -> int:
        revealed = 0
        for voter, _ in sorted(proposal.commitments.items()):
            account = self.wiring.accounts.by_did(voter)
            if account is None or voter in proposal.ballots:
                continue
            opened = self._unseal(account, space, proposal.id)
            if opened is None:
                continue
            content = {"proposal": proposal.id, **opened}
            revealed += self._emit(account, space, "vote.reveal", content)
        return revealed

    def _unseal(self, account: Account, space: str, proposal_id: str) -> dict[str, Any] | None:
        """The member's last sealed commitment on the proposal, opened with their key."""
        log = self.log(space)
        key = self.wiring.accounts.key_of(account)
        for event_id in reversed(log.order):
            entry = log.entries[event_id]
            content = entry.content or {}
            if (entry.type, entry.author, content.get("proposal")) != (
                "vote.commit",
                account.did,
                proposal_id,
            ) or log.reasons.get(event_id) is not None:
                continue
            try:
                opened: dict[str, Any] = orjson.loads(_box(key).decrypt(unb64u(content["sealed"])))
            except (KeyError, ValueError, nacl.exceptions.CryptoError):
                return None
            return opened
        return None

    def _close(self, space: str, proposal: Proposal, account: Account | None) -> int:
        if account is None:
            return 0
        return self._emit(account, space, "proposal.close", self._closing(space, proposal))

    def _closer(self, space: str, proposal: Proposal) -> Account | None:
        """Who closes a settled proposal early: the proposer if they live here, else this
        node's first member (a window that ran out is closed by a timekeeper only)."""
        state = self.authority(space)
        for did in (proposal.author, *sorted(state.members)):
            account = self.wiring.accounts.by_did(did)
            if account is not None and state.is_member(did):
                return account
        return None

    def _emit(self, account: Account, space: str, type: str, content: dict[str, Any]) -> int:
        try:
            outcome = self.wiring.act(account, space, type, content)
        except P2PError:
            return 0
        return int(outcome.status == "accepted")

    def recount(self, proposal_id: str) -> Recount:
        """Count a closed proposal again from the ballots in its close's causal past, beside
        the outcome the close recorded."""
        event = self.wiring.directory.event(proposal_id)
        log = self.log(event.space)
        as_then, result = count_at_close(log, proposal_id)
        proposal = self.proposal(event.space, proposal_id)
        assert proposal.closed_by is not None
        recorded = {"outcome": proposal.outcome, "winners": list(proposal.winners)}
        return Recount(proposal.closed_by, tally_figures(as_then, result), recorded)

    def ballots(self, proposal_id: str, format: str = "preflib") -> str:
        """The ranked ballots a closed proposal counted, in PrefLib's format or BLT (for STV).
        A proposal decided by a method without rankings (or an unknown format) is refused
        with `no_ranked_ballots` (422), rather than exported as an empty file."""
        space = self.wiring.directory.event(proposal_id).space
        as_then, delegations = at_close(self.log(space), proposal_id)
        method = as_then.policy.method if as_then.policy else "none"
        if method not in RANKED_METHODS or format not in ("preflib", "blt"):
            message = f"only ranked ballots export, as preflib or blt; this one used {method}"
            raise P2PError("no_ranked_ballots", message, 422)
        counted = [c for c in casts(as_then, delegations) if "ranking" in c.ballot]
        if format == "blt":
            seats = as_then.policy.seats if as_then.policy else 1
            return to_blt(as_then.title, as_then.options, counted, seats)
        return to_preflib(as_then.title, as_then.options, counted)

    def notifications(self, did: str, now: int | None = None) -> list[dict[str, Any]]:
        """What a member should know: proposals open to their vote (a reminder to vote once
        the deadline nears, or closing soon), and outcomes of proposals in their spaces,
        newest first, as of `now` (by default the node's clock)."""
        now = self.wiring.clock() if now is None else now
        notes: list[dict[str, Any]] = []
        for summary in self.wiring.directory.spaces(everyone=True):
            state = self.authority(summary.id)
            notes += ({"space": summary.id, "space_name": summary.name, **note}
                      for note in proposal_notices(state, did, now))  # fmt: skip
        return sorted(notes, key=lambda n: n["ts"], reverse=True)


def proposal_notices(state: Authority, did: str, now: int) -> list[dict[str, Any]]:
    """What a member should know of one space's proposals, as of `now` (none unless they
    are a member): see `Governance.notifications`."""
    if not state.is_member(did):
        return []
    found = (_notice(proposal, did, now) for proposal in proposals_of(state).values())
    return [note for note in found if note is not None]


def _notice(proposal: Proposal, did: str, now: int) -> dict[str, Any] | None:
    base = {"proposal": proposal.id, "title": proposal.title}
    reminder = vote_reminder(proposal, did, now)
    if reminder is not None:
        return {**base, **reminder}  # in place of its closing_soon: one note per proposal
    if proposal.status == OPEN and did in proposal.eligible:
        voted = did in proposal.ballots or did in proposal.commitments
        soon = proposal.closes_at - now <= CLOSING_SOON_MS
        kind = "closing_soon" if soon and not voted else "proposal_opened"
        return {
            **base,
            "kind": kind,
            "ts": proposal.opened_ts,
            "closes_at": proposal.closes_at,
            "voted": voted,
        }
    if proposal.closed_ts is not None and proposal.outcome is not None:
        return {**base, "kind": "outcome", "ts": proposal.closed_ts, "status": proposal.status}
    return None


def _box(key: KeyPair) -> nacl.secret.SecretBox:
    """A secret box only the member's own key opens: for ballots they sealed to reveal."""
    derived = hashlib.blake2b(key.seed, key=b"p2pvalue-ballot", digest_size=32).digest()
    return nacl.secret.SecretBox(derived)
