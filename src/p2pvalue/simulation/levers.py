"""What a forecast tries and what it reports, apart from the model itself: the model needs
Mesa, which is imported only when a forecast runs, not when a node starts."""

from __future__ import annotations

from dataclasses import dataclass

POLICIES = ("IMMEDIATE", "RECENT", "BALANCED", "BUCKETS")


@dataclass(frozen=True)
class Levers:
    """The policy a forecast tries: the payout policy and monthly budget (minor units), the
    approvals a claim needs or lazy acceptance, and how strongly pay keeps people."""

    payout_policy: str = "BALANCED"
    budget: int = 0
    approvals: int = 1
    lazy: bool = False
    half_life_days: int = 90
    reward_response: float = 0.25


# What each run collects every month.
FIGURES = ("active", "gini", "absence", "accepted", "paid", "paid_members", "payout_gini")
