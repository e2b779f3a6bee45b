"""Social: profiles, follows and the feed, with live updates of the feed.

Profiles and follows are node-local personal data, kept off the shared log; the feed is
read from the log. `Social` wires them for one node."""

from __future__ import annotations

from typing import TYPE_CHECKING

from p2pvalue.social.feed import Feed
from p2pvalue.social.follows import Follows
from p2pvalue.social.profiles import Profiles
from p2pvalue.social.stream import FeedStream

if TYPE_CHECKING:
    from p2pvalue.node import Node


class Social:
    """A node's profiles, follows, feed and live feed streams."""

    def __init__(self, node: Node) -> None:
        self.profiles = Profiles(node.engine, node.accounts)
        self.follows = Follows(node.engine)
        self.feed = Feed(node.engine)
        self.stream = FeedStream(node.engine)
        node.writer.subscribe(self.stream.committed)
