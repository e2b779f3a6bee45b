"""Replication between nodes as the node registers it."""

from p2pvalue.domain import Domain
from p2pvalue.federation.replication import HOME, Replication

DOMAIN = Domain(
    name="federation",
    types=frozenset({HOME}),
    service=Replication,
    build=Replication,
    routes=("p2pvalue.web.federation_api", "p2pvalue.web.message_federation_api"),
    committed=Replication.committed,
    acted=Replication.acted,
)
