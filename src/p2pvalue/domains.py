"""The domains a node registers: a new domain is one package and one line here.

The order is the order in which the node builds their services, subscribes them to the
write path, asks them what awaits a tick and runs their sweeps. The events layer knows no
domain: whoever reads events or builds a space's log without a node (tests, benchmarks,
tools) takes the catalog of these domains' event types (`install()`) and their authority
rules (`rules()`) from here, as the node does from its registry.
"""

from typing import Any

from p2pvalue.accounting.domain import DOMAIN as VALUE
from p2pvalue.collab.domain import DOMAIN as COLLAB
from p2pvalue.domain import Domain
from p2pvalue.events import types
from p2pvalue.events.authority import Rules
from p2pvalue.events.types import Catalog
from p2pvalue.federation.domain import DOMAIN as FEDERATION
from p2pvalue.fediverse.domain import DOMAIN as FEDIVERSE
from p2pvalue.governance.domain import DOMAIN as GOVERNANCE
from p2pvalue.insight.domain import DOMAIN as INSIGHT
from p2pvalue.membership.domain import DOMAIN as MEMBERSHIP
from p2pvalue.privacy.domain import DOMAIN as PRIVACY
from p2pvalue.registry import catalog_of, rules_of
from p2pvalue.rights.domain import DOMAIN as RIGHTS
from p2pvalue.simulation.domain import DOMAIN as SIMULATION
from p2pvalue.social.domain import DOMAIN as SOCIAL

DOMAINS: tuple[Domain[Any], ...] = (
    VALUE, GOVERNANCE, COLLAB, SOCIAL, FEDERATION, FEDIVERSE, PRIVACY, RIGHTS, MEMBERSHIP,
    INSIGHT, SIMULATION,
)  # fmt: skip


def catalog() -> Catalog:
    """The kernel's event types and every registered domain's, with their charter sections."""
    return catalog_of(DOMAINS)


def rules() -> Rules:
    """The authority rules every registered domain adds to the kernel's."""
    return rules_of(DOMAINS)


def install() -> Catalog:
    """Read events in this process with `catalog()` (the same one however often asked)."""
    found = catalog()
    types.install(found)
    return found
