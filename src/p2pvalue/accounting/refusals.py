"""What each refusal of the value domain means, in a member's words."""

from p2pvalue.accounting import bounties

VALUE_REFUSALS = {
    **bounties.REFUSALS,
    "value_not_enabled": "this space's charter has no value policy",
    "unknown_kind": "the charter does not list this kind of contribution",
    "evidence_already_claimed": "this evidence belongs to another claim",
    "claimant_not_a_contributor": "the claimant must be one of the contributors",
    "co_contributor_not_a_member": "every co-contributor must be a member",
    "unknown_claim": "no such claim in this space",
    "own_claim": "nobody reviews a claim they share in",
    "claim_closed": "the claim was already accepted or rejected",
    "already_endorsed": "this member already endorsed this claim",
    "claim_rejected": "the claim was rejected",
    "insufficient_balance": "the payout is larger than the balance of its currency and earmark",
    "alias_taken": "this alias already belongs to a member",
    "lazy_acceptance_off": "the charter accepts claims only by approval",
    "claim_disputed": "a disputed claim is settled by its reviewers, not by waiting",
    "window_open": "the claim's review window has not passed yet",
    "work_dated_after_claim": "the work's date is later than the claim: claim work once done",
    "not_a_timekeeper": "only a timekeeper of the space closes a claim once its window passed",
    "policy_mismatch": "a payout runs by the charter's payout policy",
    "allocation_mismatch": "the allocations differ from what the policy gives",
    "nothing_to_split": "no member has value to split the budget by",
    "alias_not_claimed": "the member has not claimed this alias",
    "claim_not_disputed": "only a disputed claim is settled by a proposal",
}
