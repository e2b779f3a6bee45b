"""Collaboration (projects, tasks, threads, shared documents) as the node registers it."""

from p2pvalue.collab.service import COLLAB_TYPES, Collab
from p2pvalue.domain import Domain

DOMAIN = Domain(
    name="collab",
    types=COLLAB_TYPES,
    service=Collab,
    build=Collab,
    routes=(
        "p2pvalue.web.collab_api",
        "p2pvalue.web.collab_pages",
        "p2pvalue.web.doc_api",
        "p2pvalue.web.doc_pages",
        "p2pvalue.web.doc_socket",
    ),
    precheck=Collab.precheck,
)
