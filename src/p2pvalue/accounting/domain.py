"""Value accounting as the node registers it."""

from p2pvalue.accounting import kinds
from p2pvalue.accounting.ledger import VALUE_TYPES
from p2pvalue.accounting.service import Value
from p2pvalue.domain import Domain

DOMAIN = Domain(
    name="value",
    types=VALUE_TYPES,
    service=Value,
    build=Value,
    kinds=kinds.TYPES,
    sections=kinds.SECTIONS,
    api=("p2pvalue.web.value.api", "p2pvalue.web.value.addresses:api"),
    pages=("p2pvalue.web.value.pages", "p2pvalue.web.value.addresses:pages"),
    activity=("p2pvalue.web.value.activity",),
    precheck=Value.precheck,
    awaiting=Value.unwitnessed,
    sweep=Value.close_due_claims,
    rebuild=Value.rebuild,
)
