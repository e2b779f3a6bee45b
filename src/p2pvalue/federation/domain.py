"""Replication between nodes as the node registers it."""

from p2pvalue.domain import Domain
from p2pvalue.federation.replication import HOME, Replication

DOMAIN = Domain(
    name="federation",
    types=frozenset({HOME}),
    service=Replication,
    build=Replication,
    api=(
        "p2pvalue.web.federation.api",
        "p2pvalue.web.federation.api:replicas",
        "p2pvalue.web.federation.messages",
    ),
    committed=Replication.committed,
    acted=Replication.acted,
    rebuild=Replication.rebuild,
)
