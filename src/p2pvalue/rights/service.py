"""The node's side of a member's data rights: the erasure they ask for, refused before
anything is stored when it names what is not theirs, and the export of their data."""

from __future__ import annotations

from typing import Any

from p2pvalue.accounts import Account
from p2pvalue.domain import Wiring
from p2pvalue.events.types import parse_content
from p2pvalue.rights import erasure, export


class Rights:
    """Erasure and export, as a node's members ask for them."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring

    def precheck(
        self, account: Account, space: str, type: str, content: dict[str, Any], ts: int
    ) -> None:
        """Refuse a `content.erase` of events that are not the member's own posts or thread
        posts in this space."""
        parse_content(type, content)
        erasure.check_request(self.wiring.engine, account, space, content)

    def erase_member(self, account: Account) -> dict[str, Any]:
        """Erase the member's profile and ask for the erasure of their posts (`erasure`)."""
        return erasure.erase_member(self.wiring, account)

    def archive(self, account: Account) -> bytes:
        """The ZIP archive of everything this node holds about the member (`export`)."""
        return export.member_archive(self.wiring, account)
