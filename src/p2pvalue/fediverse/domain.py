"""ActivityPub for public spaces as the node registers it."""

from p2pvalue.domain import Domain
from p2pvalue.fediverse import Fediverse

DOMAIN = Domain(
    name="fediverse",
    types=frozenset(),
    service=Fediverse,
    build=Fediverse,
    api=("p2pvalue.web.fediverse.api",),
    committed=Fediverse.committed,
)
