"""Every domain's contributions to the layers below them, in one place.

The events layer knows no domain: whoever builds a space's log passes in the authority
rules the domains add (`rules()`), and events are read with the catalog of every domain's
event types and charter sections (`catalog()`), installed once per process (`install()`)
by the composition: the node, and the harnesses (tests, benchmarks) that read events
without one. The node's registry grows from these lists.
"""

from __future__ import annotations

from functools import cache

from p2pvalue.accounting import kinds as accounting
from p2pvalue.collab import kinds as collab
from p2pvalue.events import types
from p2pvalue.events.authority import Rules
from p2pvalue.events.types import Catalog
from p2pvalue.governance import kinds as governance
from p2pvalue.governance import lifecycle


def rules() -> Rules:
    """The authority rules of every domain, added to the kernel's."""
    return lifecycle.RULES


@cache
def catalog() -> Catalog:
    """The kernel's event types and every domain's, with their charter sections."""
    return Catalog(
        types=(*accounting.TYPES, *governance.TYPES, *collab.TYPES),
        sections=(*accounting.SECTIONS, *governance.SECTIONS),
        rights=collab.RIGHTS,
    )


def install() -> Catalog:
    """Read events in this process with `catalog()` (the same one however often asked)."""
    found = catalog()
    types.install(found)
    return found
