"""Who may make this node replicate a space with another node (`POST /api/v1/replicas`).

Each peer is a node this node will contact again and again, so adding one is a decision,
not a request anyone may make: for a space this node holds, a member whose roles hold the
charter's `replica.add` right decides; for a space this node does not hold yet, holding it
at all is a decision of the node, taken by a node admin (a username in the configuration's
`admins`, `p2pvalue init --admin NAME`). A node admin may add a peer to any space.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from p2pvalue.errors import Forbidden
from p2pvalue.events.types import REPLICA_ADD

if TYPE_CHECKING:
    from p2pvalue.accounts import Account
    from p2pvalue.config import NodeConfig
    from p2pvalue.domain import Wiring


def is_node_admin(config: NodeConfig, account: Account) -> bool:
    """Whether `account` is one of the node's admins."""
    return account.username in config.admins


def check_may_add_peer(wiring: Wiring, account: Account, space: str) -> None:
    """Nothing if `account` may have this node replicate `space` with another node; else
    `node_admin_required` (a space not held here, or held unreadably), `not_a_member` or
    `role_lacks_permission:replica.add` (403)."""
    if is_node_admin(wiring.config, account):
        return
    log = wiring.writer.log(space)
    authority = log.authority if log is not None else None
    if authority is None:
        raise Forbidden("node_admin_required", "only a node admin has this node hold a space "
                        "it does not hold yet")  # fmt: skip
    if not authority.is_member(account.did):
        raise Forbidden("not_a_member", f"you are not a member of space {space!r}")
    if not authority.charter.allows(authority.roles_of(account.did), REPLICA_ADD):
        raise Forbidden(f"role_lacks_permission:{REPLICA_ADD}",
                        f"your roles in this space do not hold {REPLICA_ADD!r}")  # fmt: skip
