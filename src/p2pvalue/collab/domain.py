"""Collaboration (projects, tasks, threads, shared documents) as the node registers it."""

from p2pvalue.collab import kinds
from p2pvalue.collab.service import COLLAB_TYPES, Collab
from p2pvalue.domain import Domain

DOMAIN = Domain(
    name="collab",
    types=COLLAB_TYPES,
    service=Collab,
    build=Collab,
    kinds=kinds.TYPES,
    rights=kinds.RIGHTS,
    api=(
        "p2pvalue.web.collab.api",
        "p2pvalue.web.collab.doc_api",
        "p2pvalue.web.collab.doc_socket",
    ),
    pages=(
        "p2pvalue.web.collab.pages",
        "p2pvalue.web.collab.doc_pages",
    ),
    activity=("p2pvalue.web.collab.activity",),
    precheck=Collab.precheck,
    rebuild=Collab.rebuild,
)
