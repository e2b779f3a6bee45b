"""After the close, on the web: the outcome statement and the follow-ups of a proposal, in
the API (`router`) and as the forms of the proposal page (`pages`).

The rules are `governance.outcomes`; these routes only parse, authenticate and act.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from p2pvalue.accounts import Account
from p2pvalue.collab.markdown import render as markdown
from p2pvalue.events.authority import Authority
from p2pvalue.governance.outcomes import follow_up_problem, may_follow_through
from p2pvalue.governance.proposals import FollowUp, Proposal
from p2pvalue.governance.service import GOVERNANCE_REFUSALS
from p2pvalue.governance.types import FOLLOW_UP_STATUSES, MAX_STATEMENT
from p2pvalue.ingest import Outcome
from p2pvalue.node import Node
from p2pvalue.web.auth import AccountDep, NodeDep
from p2pvalue.web.i18n import N_, gettext
from p2pvalue.web.layout import acted
from p2pvalue.web.spaces.api import outcome_response

router = APIRouter(prefix="/api/v1", tags=["governance"])
pages = APIRouter(include_in_schema=False)
PROPOSAL = "/spaces/{space_id}/proposals/{proposal_id}"
STATUS_WORDS = {"not_started": N_("not started"), "in_progress": N_("in progress"),
                "done": N_("done"), "dropped": N_("dropped")}  # fmt: skip


class StatementBody(BaseModel):
    statement: str = Field(min_length=1, max_length=MAX_STATEMENT)


class FollowUpBody(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    note: str = Field(default="", max_length=2000)


class FollowUpChange(BaseModel):
    status: str | None = Field(default=None, json_schema_extra={"enum": list(FOLLOW_UP_STATUSES)})
    progress: int | None = Field(default=None, ge=0, le=100)
    note: str | None = Field(default=None, max_length=2000)


def after_close_json(proposal: Proposal) -> dict[str, Any]:
    """The statement (source and safe HTML) and the follow-ups, oldest first."""
    said = proposal.statement
    statement = None if said is None else {
        "source": said.text, "html": markdown(said.text), "author": said.author,
        "event": said.event, "ts": said.ts, "revisions": said.revisions,
    }  # fmt: skip
    items = sorted(proposal.followups.values(), key=lambda item: (item.ts, item.id))
    return {"statement": statement, "followups": [_item_json(item) for item in items]}


def _item_json(item: FollowUp) -> dict[str, Any]:
    names = ("id", "title", "author", "ts", "status", "progress", "note", "updated_ts")
    return {name: getattr(item, name) for name in names}


def follow_through(state: Authority, proposal: Proposal, did: str) -> dict[str, Any]:
    """What the proposal page shows and offers after the close, for the member `did`."""
    shown = after_close_json(proposal)
    return {
        **shown,
        "statuses": {status: gettext(words) for status, words in STATUS_WORDS.items()},
        "may_state": proposal.outcome is not None
        and may_follow_through(state, did, proposal, "proposal.outcome"),
        "may_add": follow_up_problem(proposal) is None
        and may_follow_through(state, did, proposal, "followup.add"),
        "may_update": may_follow_through(state, did, proposal, "followup.update"),
        "takes_followups": follow_up_problem(proposal) is None,
    }


def _act(node: Node, account: Account, space: str, type: str, content: dict[str, Any]) -> Outcome:
    return node.act(account, space, type, content)


# --- the API ----------------------------------------------------------------------------


@router.post(PROPOSAL + "/outcome")
def state_outcome(
    space_id: str, proposal_id: str, body: StatementBody, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Record what was decided and what happens next (Markdown); a later one replaces it.
    Only after the close, by the proposer or a facilitator."""
    content = {"proposal": proposal_id, "statement": body.statement}
    return outcome_response(node.act(account, space_id, "proposal.outcome", content))


@router.post(PROPOSAL + "/followups")
def add_follow_up(
    space_id: str, proposal_id: str, body: FollowUpBody, account: AccountDep, node: NodeDep
) -> JSONResponse:
    """Add a follow-up item to a passed decision in words; it starts not started, at 0 %."""
    content = {"proposal": proposal_id, **body.model_dump()}
    return outcome_response(node.act(account, space_id, "followup.add", content))


@router.post(PROPOSAL + "/followups/{followup_id}")
def update_follow_up(
    space_id: str,
    proposal_id: str,
    followup_id: str,
    body: FollowUpChange,
    account: AccountDep,
    node: NodeDep,
) -> JSONResponse:
    """Change a follow-up's status, progress (percent) or note; what is left out stays."""
    change = body.model_dump(exclude_none=True)
    content = {"proposal": proposal_id, "followup": followup_id, **change}
    return outcome_response(node.act(account, space_id, "followup.update", content))


# --- the page's forms -------------------------------------------------------------------


def _back(space_id: str, proposal_id: str) -> str:
    return f"/spaces/{space_id}/proposals/{proposal_id}#after-close"


@pages.post(PROPOSAL + "/outcome")
def state_outcome_form(
    space_id: str, proposal_id: str, node: NodeDep, account: AccountDep,
    statement: Annotated[str, Form(max_length=MAX_STATEMENT)],
) -> Response:  # fmt: skip
    content = {"proposal": proposal_id, "statement": statement}
    return acted(
        lambda: _act(node, account, space_id, "proposal.outcome", content),
        _back(space_id, proposal_id),
        GOVERNANCE_REFUSALS,
        words=True,
    )


@pages.post(PROPOSAL + "/followups")
def add_follow_up_form(
    space_id: str, proposal_id: str, node: NodeDep, account: AccountDep,
    title: Annotated[str, Form(max_length=300)],
) -> Response:  # fmt: skip
    content = {"proposal": proposal_id, "title": title}
    return acted(
        lambda: _act(node, account, space_id, "followup.add", content),
        _back(space_id, proposal_id),
        GOVERNANCE_REFUSALS,
        words=True,
    )


@pages.post(PROPOSAL + "/followups/{followup_id}")
def update_follow_up_form(
    space_id: str, proposal_id: str, followup_id: str, node: NodeDep, account: AccountDep,
    status: Annotated[str, Form(max_length=20)],
    progress: Annotated[int, Form(ge=0, le=100)],
) -> Response:  # fmt: skip
    content = {"proposal": proposal_id, "followup": followup_id, "status": status,
               "progress": progress}  # fmt: skip
    return acted(
        lambda: _act(node, account, space_id, "followup.update", content),
        _back(space_id, proposal_id),
        GOVERNANCE_REFUSALS,
        words=True,
    )
