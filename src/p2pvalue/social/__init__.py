"""Social: profiles, follows, the feed with live updates, private messages and
notifications.

Profiles and follows are node-local personal data, kept off the shared log; the feed is
read from the log. `Social` wires them for one node."""

from __future__ import annotations

from collections.abc import Sequence

from p2pvalue.domain import Wiring
from p2pvalue.events.event import Event
from p2pvalue.social.conversations import Conversations
from p2pvalue.social.feed import Feed
from p2pvalue.social.follows import Follows
from p2pvalue.social.mailing import Mailing
from p2pvalue.social.messages import Messages
from p2pvalue.social.notifications import Notifications
from p2pvalue.social.profiles import Profiles
from p2pvalue.social.stream import FeedStream


class Social:
    """A node's profiles, follows, feed, live feed streams, messages, notifications and
    the mail that carries them."""

    def __init__(self, wiring: Wiring) -> None:
        self.profiles = Profiles(wiring.engine, wiring.accounts)
        self.follows = Follows(wiring.engine)
        self.feed = Feed(wiring.engine)
        self.stream = FeedStream(wiring.engine)
        self.messages = Messages(wiring.engine, wiring.accounts, wiring.did)
        self.conversations = Conversations(wiring.engine, wiring.accounts, self.messages)
        self.notifications = Notifications(wiring)
        self.mailing = Mailing(wiring, self.notifications)

    def committed(self, events: Sequence[Event], origin: str | None) -> None:
        """Feed the live streams what was committed."""
        self.stream.committed(events, origin)

    def rebuild(self) -> None:
        """Drop what was derived from the logs (the unread counts kept)."""
        self.notifications.forget()
