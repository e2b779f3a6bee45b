"""Membership as the node registers it: it owns no event type of its own (joining,
inviting and admitting are the kernel's), and brings the pages and API that take people in."""

from p2pvalue.domain import Domain
from p2pvalue.membership.service import Membership

DOMAIN = Domain(
    name="membership",
    types=frozenset(),
    service=Membership,
    build=Membership,
    api=("p2pvalue.web.membership.api",),
    pages=("p2pvalue.web.membership.pages",),
)
