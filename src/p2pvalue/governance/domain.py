"""Governance as the node registers it."""

import threading
from typing import Any

from p2pvalue.accounts import Account
from p2pvalue.domain import Domain
from p2pvalue.events.types import parse_content
from p2pvalue.governance import kinds, outcomes
from p2pvalue.governance.lifecycle import RULES
from p2pvalue.governance.service import GOVERNANCE_TYPES, Governance


def _precheck(
    governance: Governance, account: Account, space: str, type: str, content: dict[str, Any],
    at: int,
) -> None:  # fmt: skip
    parse_content(type, content)
    governance.precheck(account, space, type, content, at)


def _sweep(governance: Governance, stop: threading.Event | None) -> int:
    return governance.keep_deadlines()


DOMAIN = Domain(
    name="governance",
    types=GOVERNANCE_TYPES,
    service=Governance,
    build=Governance,
    kinds=kinds.TYPES,
    sections=kinds.SECTIONS,
    rules=RULES + outcomes.RULES,
    api=("p2pvalue.web.governance.api", "p2pvalue.web.governance.outcomes"),
    pages=(
        "p2pvalue.web.governance.proposing",
        "p2pvalue.web.governance.pages",
        "p2pvalue.web.governance.outcomes:pages",
    ),
    activity=("p2pvalue.web.governance.activity",),
    precheck=_precheck,
    awaiting=Governance.unwitnessed,
    sweep=_sweep,
)
