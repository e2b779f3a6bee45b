"""Pages for a space's governance: proposals and the forms that make them, a proposal with
its vote form, live tally and recounted outcome, the charter and its history, and
delegations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from p2pvalue.accounting.types import value_policy
from p2pvalue.accounts import Account
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority
from p2pvalue.events.event import now_ms
from p2pvalue.governance.proposals import DRAFT, OPEN, Proposal, delegate_of, proposals_of
from p2pvalue.governance.service import GOVERNANCE_REFUSALS, Governance, Recount
from p2pvalue.governance.types import ACTION_KINDS, decisions_of
from p2pvalue.ingest import Outcome
from p2pvalue.node import Node
from p2pvalue.web.auth import AccountDep, MaybeAccountDep, NodeDep
from p2pvalue.web.governance.api import get_proposal, proposal_json
from p2pvalue.web.governance.explain import applied_words, count_words, status_words
from p2pvalue.web.governance.forms import (
    BallotForm,
    ballot_of,
)
from p2pvalue.web.governance.meeting import meeting_view, zone_of
from p2pvalue.web.governance.outcomes import follow_through
from p2pvalue.web.governance.proposing import choices
from p2pvalue.web.governance.words import (
    METHOD_NAMES,
    RANKED,
    action_words,
    ballot_words,
    figures_of,
    json_diff,
    label_of,
    policy_words,
    with_labels,
)
from p2pvalue.web.layout import (
    acted,
    missing,
    render,
    space_authority,
)
from p2pvalue.web.naming import Names, names_of
from p2pvalue.web.simulation.pages import proposal_what_if

router = APIRouter(include_in_schema=False)
SPACE = "/spaces/{space_id}"
PROPOSAL = SPACE + "/proposals/{proposal_id}"
CLOSED_ORDER = {OPEN: 0, DRAFT: 1}
NOTES_SHOWN = 5
# The methods refuse a ballot with a bare code; what each means, for the flash.


def _done(call: Callable[[], Outcome], back: str) -> Response:
    """Take the action, then go back to `back`, with the refusal and its code shown there."""
    return acted(call, back, GOVERNANCE_REFUSALS, words=True)


def _members(state: Authority) -> list[str]:
    return sorted(did for did in state.members if state.is_member(did))


def _names(node: Node, state: Authority, viewer: str, *more: str) -> Names:
    authors = {p.author for p in proposals_of(state).values()}
    return names_of(node, set(state.members) | authors | set(more), viewer or None)


def _ordered(proposals: list[Proposal]) -> list[Proposal]:
    """Open ones first (closing soonest first), then drafts, then the closed, newest first."""
    return sorted(
        proposals,
        key=lambda p: (CLOSED_ORDER.get(p.status, 2),
                       p.closes_at if p.status == OPEN else -(p.closed_ts or p.created_ts)),
    )  # fmt: skip


@router.get(SPACE + "/governance")
def governance_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """The space's proposals, open first, with the kinds of proposal to make and the form
    to delegate."""
    state = space_authority(node, space_id)
    if state is None:
        return missing(request, account, f"no space {space_id!r} on this node")
    return render(request, "governance.html", account, **_context(node, state, account))


def _context(node: Node, state: Authority, account: Account | None) -> dict[str, Any]:
    did = account.did if account else ""
    decided = {*decisions_of(state.charter), "text"} - {"default"}
    notes = node.service(Governance).notifications(did) if did else []
    return {
        "space": node.space(state.space), "state": state, "names": _names(node, state, did),
        "proposals": _ordered(list(proposals_of(state).values())), "members": _members(state),
        "is_member": state.is_member(did), "choices": choices(state),
        "method_of": lambda p: METHOD_NAMES.get(p.policy.method, p.policy.method)
        if p.policy else "not open yet",
        "delegation_kinds": ["*", *sorted(decided | set(ACTION_KINDS.values()))],
        "notes": [n for n in notes if n["space"] == state.space][:NOTES_SHOWN],
        "mine": sorted((k, to) for (m, k), to in state.delegations.items() if m == did),
    }  # fmt: skip


@router.get(PROPOSAL)
def proposal_page(
    request: Request, space_id: str, proposal_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """A proposal: what it would do, its frozen policy, the vote form fitting its method,
    the live tally (unless secret) and, once closed, the outcome recounted from the log."""
    state = space_authority(node, space_id)
    proposal = proposals_of(state).get(proposal_id) if state else None
    if state is None or proposal is None:
        return missing(request, account, f"no proposal {proposal_id!r} in this space")
    did = account.did if account else ""
    names = _names(node, state, did, *(o.id for o in proposal.options))
    shown = _shown(node, space_id, proposal_id)
    recount = (
        node.service(Governance).recount(proposal_id) if proposal.outcome is not None else None
    )
    result = recount.result if recount else shown.get("live")
    ballot = proposal.ballots.get(did)
    return render(
        request, "proposal.html", account, space=node.space(space_id), state=state,
        proposal=proposal, names=names, action=action_words(proposal.action, names),
        policy=policy_words(proposal.policy) if proposal.policy else [],
        changes=_changes(state, proposal, shown), what_if=_what_if(shown),
        simulation=proposal_what_if(node, space_id, proposal),
        result=result, recount=recount, ranked=_ranked(proposal, recount),
        said_status=status_words(proposal),
        counted=count_words(result, recount is not None) if result else "",
        applied=applied_words(proposal, result["winners"] if result else [], proposal.options,
                              names),
        figures=figures_of(result["figures"], proposal.options, names) if result else None,
        reason=with_labels(result["reason"], proposal.options, names) if result else "",
        label=lambda option: label_of(option, proposal.options, names),
        mine=dict(ballot.content) if ballot else {},
        said=ballot_words(ballot.content, proposal.options, names) if ballot else "",
        describe=lambda content: ballot_words(content, proposal.options, names),
        sealed=did in proposal.commitments, may_vote=_may_vote(proposal, did),
        may_block=_may_block(proposal), is_member=state.is_member(did),
        delegate=_delegate(state, proposal, did),
        follow=follow_through(state, proposal, did),
        meeting=meeting_view(
            node.service(Governance).log(space_id), state, proposal, zone_of(request)
        ),
    )  # fmt: skip


def _shown(node: Node, space_id: str, proposal_id: str) -> dict[str, Any]:
    """The proposal as the API shows it, with what its action would change where it can."""
    try:
        return get_proposal(space_id, proposal_id, node)
    except P2PError:  # the what-if of an equation the charter can no longer value
        state, log = (
            node.service(Governance).authority(space_id),
            node.service(Governance).log(space_id),
        )
        return proposal_json(proposals_of(state)[proposal_id], state, log)


def _changes(state: Authority, proposal: Proposal, shown: dict[str, Any]) -> list[Any]:
    """What an amendment changes in the charter: against the charter in force while it is
    undecided, and as it was enacted once it is."""
    if "charter_after" in shown:
        return json_diff(state.charter.to_content(), shown["charter_after"])
    history = state.history
    for n, change in enumerate(history[1:], 1):
        if change.event == proposal.closed_by:
            return json_diff(history[n - 1].charter.to_content(), change.charter.to_content())
    return []


def _what_if(shown: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    members = (shown.get("what_if") or {}).get("members") or {}
    return [(did, row.get("before") or {}, row.get("after") or {}) for did, row in
            members.items()]  # fmt: skip


def _ranked(proposal: Proposal, recount: Recount | None) -> bool:
    return recount is not None and proposal.policy is not None and proposal.policy.method in RANKED


def _may_vote(proposal: Proposal, did: str) -> bool:
    return proposal.status == OPEN and did in proposal.eligible and now_ms() < proposal.closes_at


def _may_block(proposal: Proposal) -> bool:
    policy = proposal.policy
    return policy is not None and (policy.method != "majority" or policy.veto)


def _delegate(state: Authority, proposal: Proposal, did: str) -> str | None:
    if proposal.policy is None or not proposal.policy.delegation:
        return None
    return delegate_of(state.delegations, did, proposal.kind)


@router.post(PROPOSAL + "/vote")
def vote(
    space_id: str, proposal_id: str, node: NodeDep, account: AccountDep,
    form: Annotated[BallotForm, Form()],
) -> Response:  # fmt: skip
    """Vote, or change a vote, with the ballot the form describes for the proposal's method."""
    back = f"/spaces/{space_id}/proposals/{proposal_id}"

    def cast() -> Outcome:
        proposal = node.service(Governance).proposal(space_id, proposal_id)
        method = proposal.policy.method if proposal.policy else ""
        return node.service(Governance).vote(
            account, space_id, proposal_id, ballot_of(method, form)
        )

    return _done(cast, back)


@router.post(PROPOSAL + "/open")
def open_proposal(space_id: str, proposal_id: str, node: NodeDep, account: AccountDep) -> Response:
    back = f"/spaces/{space_id}/proposals/{proposal_id}"
    return _done(lambda: node.service(Governance).open(account, space_id, proposal_id), back)


@router.post(PROPOSAL + "/withdraw")
def withdraw(space_id: str, proposal_id: str, node: NodeDep, account: AccountDep) -> Response:
    back = f"/spaces/{space_id}/proposals/{proposal_id}"
    content = {"proposal": proposal_id}
    return _done(lambda: node.act(account, space_id, "proposal.withdraw", content), back)


@router.post(PROPOSAL + "/close")
def close(space_id: str, proposal_id: str, node: NodeDep, account: AccountDep) -> Response:
    """Close now: refused (and shown) while the window is open, unless the policy allows an
    early close and the outcome is settled."""
    back = f"/spaces/{space_id}/proposals/{proposal_id}"
    return _done(lambda: node.service(Governance).close(account, space_id, proposal_id), back)


@router.get(SPACE + "/charter")
def charter_page(
    request: Request, space_id: str, node: NodeDep, account: MaybeAccountDep
) -> HTMLResponse:
    """The charter in force, readable, and every earlier version with what changed."""
    state = space_authority(node, space_id)
    if state is None:
        return missing(request, account, f"no space {space_id!r} on this node")
    by_close = {p.closed_by: p for p in proposals_of(state).values() if p.closed_by}
    history = [
        (change, by_close.get(change.event),
         json_diff(state.history[n - 1].charter.to_content(), change.charter.to_content())
         if n else [])
        for n, change in enumerate(state.history)
    ]  # fmt: skip
    policies = {kind: policy_words(p) for kind, p in sorted(decisions_of(state.charter).items())}
    return render(
        request, "governance_charter.html", account, space=node.space(space_id),
        charter=state.charter, value=value_policy(state.charter), policies=policies,
        history=list(reversed(history)), equation=_equation_json(state),
    )  # fmt: skip


def _equation_json(state: Authority) -> str:
    value = value_policy(state.charter)
    if value is None or value.equation is None:
        return ""
    return orjson.dumps(value.equation, option=orjson.OPT_INDENT_2).decode()


@router.post(SPACE + "/delegations")
def delegate(
    space_id: str, node: NodeDep, account: AccountDep,
    kind: Annotated[str, Form(max_length=40)], to: Annotated[str, Form(max_length=80)],
) -> Response:  # fmt: skip
    """Delegate your vote on one kind of decision (`*`: every kind) to another member."""
    content = {"kind": kind, "to": to}
    back = f"/spaces/{space_id}/governance"
    return _done(lambda: node.act(account, space_id, "delegation.set", content), back)


@router.post(SPACE + "/delegations/revoke")
def undelegate(
    space_id: str, node: NodeDep, account: AccountDep, kind: Annotated[str, Form(max_length=40)]
) -> Response:
    back = f"/spaces/{space_id}/governance"
    content = {"kind": kind}
    return _done(lambda: node.act(account, space_id, "delegation.revoke", content), back)
