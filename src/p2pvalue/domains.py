"""Every domain's contributions to the layers below them, in one place.

The events layer knows no domain: whoever builds a space's log passes in the authority
rules the domains add (`rules()`). The node's registry grows from this list; tools and
tests that build a log without a node take the same full set from here.
"""

from __future__ import annotations

from p2pvalue.events.authority import Rules
from p2pvalue.governance import lifecycle


def rules() -> Rules:
    """The authority rules of every domain, added to the kernel's."""
    return lifecycle.RULES
