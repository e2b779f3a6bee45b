"""What each refusal of the value domain means, in a member's words."""

from p2pvalue.accounting import bounties
from p2pvalue.wording import N_

VALUE_REFUSALS = {
    **bounties.REFUSALS,
    "value_not_enabled": N_("this space's charter has no value policy"),
    "unknown_kind": N_("the charter does not list this kind of contribution"),
    "evidence_already_claimed": N_("this evidence belongs to another claim"),
    "claimant_not_a_contributor": N_("the claimant must be one of the contributors"),
    "co_contributor_not_a_member": N_("every co-contributor must be a member"),
    "unknown_claim": N_("no such claim in this space"),
    "own_claim": N_("nobody reviews a claim they share in"),
    "claim_closed": N_("the claim was already accepted or rejected"),
    "claim_not_imported": N_("only imported work has its reviews imported"),
    "already_endorsed": N_("this member already endorsed this claim"),
    "claim_rejected": N_("the claim was rejected"),
    "insufficient_balance": N_("the payout is larger than the balance of its currency and earmark"),
    "alias_taken": N_("this alias already belongs to a member"),
    "lazy_acceptance_off": N_("the charter accepts claims only by approval"),
    "claim_disputed": N_("a disputed claim is settled by its reviewers, not by waiting"),
    "window_open": N_("the claim's review window has not passed yet"),
    "work_dated_after_claim": N_("the work's date is later than the claim: claim work once done"),
    "not_a_timekeeper": N_("only a timekeeper of the space closes a claim once its window passed"),
    "policy_mismatch": N_("a payout runs by the charter's payout policy"),
    "allocation_mismatch": N_("the allocations differ from what the policy gives"),
    "nothing_to_split": N_("no member has value to split the budget by"),
    "alias_not_claimed": N_("the member has not claimed this alias"),
    "claim_not_disputed": N_("only a disputed claim is settled by a proposal"),
}
