"""ActivityPub for public spaces as the node registers it."""

from p2pvalue.domain import Domain
from p2pvalue.fediverse import Fediverse

DOMAIN = Domain(
    name="fediverse",
    types=frozenset(),
    service=Fediverse,
    build=Fediverse,
    routes=("p2pvalue.web.activitypub_api",),
    committed=Fediverse.committed,
)
