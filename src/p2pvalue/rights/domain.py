"""A member's data rights (erasure, export) as the node registers them."""

from p2pvalue.domain import Domain
from p2pvalue.rights.service import Rights

DOMAIN = Domain(
    name="rights",
    types=frozenset({"content.erase"}),
    service=Rights,
    build=Rights,
    api=("p2pvalue.web.rights.api",),
    precheck=Rights.precheck,
)
