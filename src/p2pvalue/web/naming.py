"""How the pages name members to one viewer: by the display name of their profile where the
viewer may see it, else by their username, which stays at hand for '@username' and links.

Every page and every activity sentence names members through `names_of`; the templates'
`names.get(did)` reads the result like the dict of usernames it replaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from p2pvalue.node import Node
from p2pvalue.social import Social


class Names(Mapping[str, str]):
    """Each member with an account here, by did: the name a page shows them by."""

    def __init__(self, usernames: Mapping[str, str], display: Mapping[str, str]) -> None:
        self._usernames = dict(usernames)
        self._display = {did: name for did, name in display.items() if did in self._usernames}

    def __getitem__(self, did: str) -> str:
        return self._display.get(did) or self._usernames[did]

    def __iter__(self) -> Iterator[str]:
        return iter(self._usernames)

    def __len__(self) -> int:
        return len(self._usernames)

    def username(self, did: str) -> str | None:
        return self._usernames.get(did)

    def handle(self, did: str) -> str:
        """'@username' when the member is shown by another name, else nothing."""
        username = self._usernames.get(did)
        return f"@{username}" if username and username != self.get(did) else ""


def names_of(node: Node, dids: Iterable[str], viewer: str | None) -> Names:
    """The names `viewer` (None: a visitor) sees `dids` by: three queries at most."""
    wanted = sorted(set(dids))
    usernames = node.accounts.names(wanted)
    display = node.service(Social).profiles.display_names(usernames, viewer)
    return Names(usernames, display)
