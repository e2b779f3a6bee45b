"""The governance part of the API: the charter and its history, templates, proposals,
ballots, delegations, and recounts with ballot exports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from p2pvalue.events.authority import Authority
from p2pvalue.events.log import SpaceLog
from p2pvalue.governance.enact import charter_patch, merge_patch
from p2pvalue.governance.proposals import (
    OPEN,
    Proposal,
    count,
    count_at_close,
    in_force,
    proposals_of,
    tally_figures,
)
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import TEMPLATES
from p2pvalue.web.auth import AccountDep, NodeDep
from p2pvalue.web.contract import A_DID, DELEGATION_KIND
from p2pvalue.web.governance.outcomes import after_close_json
from p2pvalue.web.spaces.api import outcome_response
from p2pvalue.web.value.api import ProposedEquation, what_if

router = APIRouter(prefix="/api/v1", tags=["governance"])
SPACE = "/spaces/{space_id}"


class NewProposal(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=20000)
    kind: str | None = Field(
        default=None, max_length=40, json_schema_extra={"pattern": r"^[a-z][a-z0-9_-]*$"}
    )
    action: dict[str, Any]
    options: list[dict[str, Any]] = Field(default_factory=list, max_length=200)
    draft: bool = False


class BallotBody(BaseModel):
    ballot: dict[str, Any]


class RevealBody(BaseModel):
    ballot: dict[str, Any]
    salt: str = Field(max_length=100, json_schema_extra={"minLength": 16})


class DelegationBody(BaseModel):
    kind: str = Field(max_length=40, json_schema_extra={"pattern": DELEGATION_KIND})
    to: str = Field(max_length=80, json_schema_extra=A_DID)


def proposal_json(proposal: Proposal, state: Authority, log: SpaceLog) -> dict[str, Any]:
    """A proposal as voters see it: the live tally only where the ballot is not secret, and
    once closed, the count of the ballots its close saw."""
    found: dict[str, Any] = {
        name: getattr(proposal, name)
        for name in (
            "id",
            "author",
            "kind",
            "title",
            "body",
            "status",
            "created_ts",
            "opened_ts",
            "closes_at",
            "reveals_until",
            "review_at",
            "closed_by",
            "closed_ts",
            "note",
        )
    }
    found["action"] = dict(proposal.action)
    found["options"] = [o.__dict__ for o in proposal.options]
    found["policy"] = proposal.policy.model_dump(exclude_none=True) if proposal.policy else None
    found["eligible"] = sorted(proposal.eligible)
    found["weights"] = dict(proposal.weights)
    found["commitments"] = sorted(proposal.commitments)
    found.update(after_close_json(proposal))
    secret = proposal.policy is not None and proposal.policy.secret
    if not secret or proposal.status != OPEN:
        found["ballots"] = {voter: dict(b.content) for voter, b in sorted(proposal.ballots.items())}
    if proposal.outcome is not None:
        found["outcome"], found["winners"] = proposal.outcome, list(proposal.winners)
        found["result"] = tally_figures(*count_at_close(log, proposal.id))
    elif proposal.status == OPEN and not secret:
        found["live"] = tally_figures(proposal, count(proposal, in_force(proposal, state)))
    return found


@router.get("/templates")
def list_templates() -> dict[str, Any]:
    """The starting charters a new space can pick: open_source, cooperative, maker_network."""
    return {"templates": {name: build() for name, build in TEMPLATES.items()}}


@router.get(SPACE + "/charter")
def get_charter(space_id: str, node: NodeDep) -> dict[str, Any]:
    """The charter in force and every earlier one, with the event that set it."""
    state = node.service(Governance).authority(space_id)
    history = [
        {"event": c.event, "ts": c.ts, "charter": c.charter.to_content()} for c in state.history
    ]
    return {"charter": state.charter.to_content(), "history": history}


@router.get(SPACE + "/proposals")
def list_proposals(
    space_id: str, node: NodeDep, status: str | None = Query(default=None, max_length=20)
) -> dict[str, Any]:
    state, log = (
        node.service(Governance).authority(space_id),
        node.service(Governance).log(space_id),
    )
    found = [p for p in proposals_of(state).values() if status is None or p.status == status]
    found.sort(key=lambda p: p.created_ts, reverse=True)
    return {"proposals": [proposal_json(p, state, log) for p in found]}


@router.post(SPACE + "/proposals", status_code=201)
def create_proposal(
    space_id: str, body: NewProposal, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Make a proposal with a machine-applicable action; it opens at once unless a draft."""
    content = body.model_dump(exclude_none=True)
    if not content["options"]:
        del content["options"]
    return outcome_response(node.service(Governance).propose(account, space_id, content))


@router.get(SPACE + "/proposals/{proposal_id}")
def get_proposal(space_id: str, proposal_id: str, node: NodeDep) -> dict[str, Any]:
    """A proposal with its policy, ballots (once no longer secret), live tally or result, and
    what its action would change: the charter after an amendment, or the value what-if."""
    state, log = (
        node.service(Governance).authority(space_id),
        node.service(Governance).log(space_id),
    )
    proposal = node.service(Governance).proposal(space_id, proposal_id)
    found = proposal_json(proposal, state, log)
    kind = proposal.action["type"]
    if kind in ("charter.amend", "value.equation") and proposal.status in ("draft", OPEN):
        patch = charter_patch(state.charter, proposal.action)
        found["charter_after"] = merge_patch(state.charter.to_content(), patch)
    if kind == "value.equation":
        equation = ProposedEquation(equation=dict(proposal.action["equation"]))
        found["what_if"] = what_if(space_id, equation, node)
    return found


@router.post(SPACE + "/proposals/{proposal_id}/open")
def open_proposal(
    space_id: str, proposal_id: str, account: AccountDep, node: NodeDep
) -> JSONResponse:
    return outcome_response(node.service(Governance).open(account, space_id, proposal_id))


@router.post(SPACE + "/proposals/{proposal_id}/withdraw")
def withdraw_proposal(
    space_id: str, proposal_id: str, account: AccountDep, node: NodeDep
) -> JSONResponse:
    content = {"proposal": proposal_id}
    return outcome_response(node.act(account, space_id, "proposal.withdraw", content))


@router.post(SPACE + "/proposals/{proposal_id}/votes")
def vote(
    space_id: str, proposal_id: str, body: BallotBody, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Vote, or change your vote: the last one before the close counts. Under a secret
    policy the node commits to your ballot now and reveals it when voting ends."""
    return outcome_response(
        node.service(Governance).vote(account, space_id, proposal_id, body.ballot)
    )


@router.post(SPACE + "/proposals/{proposal_id}/reveal")
def reveal(
    space_id: str, proposal_id: str, body: RevealBody, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Reveal a secret ballot yourself (the node does it for ballots it sealed)."""
    content = {"proposal": proposal_id, "ballot": body.ballot, "salt": body.salt}
    return outcome_response(node.act(account, space_id, "vote.reveal", content))


@router.post(SPACE + "/proposals/{proposal_id}/close")
def close_proposal(
    space_id: str, proposal_id: str, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Close a proposal whose window ended, or early where its policy allows and the
    outcome is settled; the node also does this by itself."""
    return outcome_response(node.service(Governance).close(account, space_id, proposal_id))


@router.get("/proposals/{proposal_id}/recount")
def recount(proposal_id: str, node: NodeDep) -> dict[str, Any]:
    """Count a closed proposal again from its close's causal past, beside the recorded result."""
    found = node.service(Governance).recount(proposal_id)
    return {
        "proposal": proposal_id,
        "close": found.close,
        "matches": found.matches,
        "recount": found.result,
        "recorded": found.recorded,
    }


@router.get("/proposals/{proposal_id}/ballots", response_class=PlainTextResponse)
def export_ballots(
    proposal_id: str,
    node: NodeDep,
    format: str = Query(default="preflib", pattern="^(preflib|blt)$"),
) -> PlainTextResponse:
    """The ranked ballots that counted, in PrefLib's format or (for STV) BLT; a proposal
    decided by a method without rankings is refused with 422 `no_ranked_ballots`."""
    return PlainTextResponse(node.service(Governance).ballots(proposal_id, format))


@router.get(SPACE + "/delegations")
def list_delegations(space_id: str, node: NodeDep) -> dict[str, Any]:
    state = node.service(Governance).authority(space_id)
    return {
        "delegations": [
            {"member": m, "kind": k, "to": to} for (m, k), to in sorted(state.delegations.items())
        ]
    }


@router.post(SPACE + "/delegations")
def delegate(
    space_id: str, body: DelegationBody, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Delegate your vote on one kind of decision (or `*`, every kind); revocable, and your
    own vote always overrides your delegate's."""
    content = {"kind": body.kind, "to": body.to}
    return outcome_response(node.act(account, space_id, "delegation.set", content))


@router.delete(SPACE + "/delegations/{kind}")
def undelegate(space_id: str, kind: str, account: AccountDep, node: NodeDep) -> JSONResponse:
    return outcome_response(node.act(account, space_id, "delegation.revoke", {"kind": kind}))
