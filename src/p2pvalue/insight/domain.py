"""Community health (insight) as the node registers it."""

from p2pvalue.domain import Domain
from p2pvalue.insight import kinds
from p2pvalue.insight.service import Insight

DOMAIN = Domain(
    name="insight",
    types=frozenset({kinds.AFFILIATION}),
    service=Insight,
    build=Insight,
    kinds=kinds.TYPES,
    sections=kinds.SECTIONS,
    api=("p2pvalue.web.insight.api",),
    pages=("p2pvalue.web.insight.pages",),
    activity=("p2pvalue.web.insight.activity",),
    rebuild=Insight.rebuild,
)
