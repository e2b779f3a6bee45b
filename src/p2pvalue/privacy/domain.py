"""Private spaces (their keys shared and rotated) as the node registers them."""

from p2pvalue.domain import Domain
from p2pvalue.privacy.spaces import PrivateSpaces

DOMAIN = Domain(
    name="privacy",
    types=frozenset({"space.key"}),
    service=PrivateSpaces,
    build=PrivateSpaces,
    committed=PrivateSpaces.committed,
)
