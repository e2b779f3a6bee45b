"""The domains a node registers: a new domain is one package and one line here.

The order is the order in which the node builds their services, subscribes them to the
write path, asks them what awaits a tick and runs their sweeps.
"""

from typing import Any

from p2pvalue.accounting.domain import DOMAIN as VALUE
from p2pvalue.collab.domain import DOMAIN as COLLAB
from p2pvalue.domain import Domain
from p2pvalue.federation.domain import DOMAIN as FEDERATION
from p2pvalue.fediverse.domain import DOMAIN as FEDIVERSE
from p2pvalue.governance.domain import DOMAIN as GOVERNANCE
from p2pvalue.privacy.domain import DOMAIN as PRIVACY
from p2pvalue.rights.domain import DOMAIN as RIGHTS
from p2pvalue.social.domain import DOMAIN as SOCIAL

DOMAINS: tuple[Domain[Any], ...] = (
    VALUE, GOVERNANCE, COLLAB, SOCIAL, FEDERATION, FEDIVERSE, PRIVACY, RIGHTS,
)  # fmt: skip
