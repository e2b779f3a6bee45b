"""Tables. `events` holds each space's log; `pending_events` (with `pending_links`) what
waits for its ancestors; `accounts`, `sessions`, `profile_fields`, `follows`, `messages`,
`doc_clients`, `space_peers`, `outbox`, `space_keys`, `message_outbox`, `invite_links`,
`login_failures`, `notification_reads`, `mail_settings`, `mail_notes` and `mail_outbox` are
the node's own records (personal data and delivery state kept off the shared log);
`snapshots` keeps folded state at a position of a space's log, dropped whenever it could be
stale and never trusted unchecked (`p2pvalue.snapshots`); every other table is a
projection, rebuilt from `events`."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
    true,
)

metadata = MetaData()
ID = String(64)
DID = String(80)
Serial = BigInteger().with_variant(Integer(), "sqlite")

events = Table(
    "events",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("space", ID, nullable=False),
    Column("type", String(64), nullable=False),
    Column("author", DID, nullable=False),
    Column("depth", BigInteger, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),
    # The opened content of an event of a private space, on a node that holds its key;
    # `body` keeps the sealed event exactly as it travels.
    Column("plain", LargeBinary),
    Index("ix_events_space_seq", "space", "seq"),
    # The feed reads newest first per followed space and per followed author.
    Index("ix_events_space_ts", "space", "ts", "seq"),
    Index("ix_events_author_ts", "author", "ts", "seq"),
)

pending_events = Table(
    "pending_events",
    metadata,
    Column("id", ID, primary_key=True),
    Column("space", ID, nullable=False, index=True),
    Column("missing", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("received_at", BigInteger, nullable=False, index=True),
    # Who sent it: the verified node, the account, or "" for this node's own imports.
    Column("origin", String(200), nullable=False, server_default="", index=True),
)

pending_links = Table(
    "pending_links",
    metadata,
    Column("missing", ID, primary_key=True),
    Column("event_id", ID, primary_key=True),
)

event_status = Table(
    "event_status",
    metadata,
    Column("id", ID, primary_key=True),
    Column("space", ID, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("reason", String(200)),
    Index("ix_event_status_space_position", "space", "position"),
)

spaces = Table(
    "spaces",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("creator", DID, nullable=False),
    Column("created_ts", BigInteger, nullable=False),
    Column("membership", String(16), nullable=False),
    Column("charter", Text, nullable=False),
    Column("events", BigInteger, nullable=False),
    Column("accepted", BigInteger, nullable=False),
    Column("private", Boolean, nullable=False, server_default=false()),
    # False for a private space this node keeps without reading (no member here holds the key).
    Column("readable", Boolean, nullable=False, server_default=true()),
)

members = Table(
    "members",
    metadata,
    Column("space", ID, primary_key=True),
    Column("did", DID, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("roles", Text, nullable=False),
    Column("since", ID, nullable=False),
    # Whether two people share a space (profile visibility) starts from one person's rows.
    Index("ix_members_did", "did"),
)

heads = Table(
    "heads",
    metadata,
    Column("space", ID, primary_key=True),
    Column("event_id", ID, primary_key=True),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("username", String(40), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("did", DID, nullable=False, unique=True),
    Column("sealed_key", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # The language the member chose for the pages (None: the browser's).
    Column("language", String(8), nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)

# Failed logins in a row per account name (a name nobody has included), and until when the
# name is locked; cleared by a successful login, forgotten when idle (`login_throttle`).
login_failures = Table(
    "login_failures",
    metadata,
    Column("username", String(40), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", BigInteger, nullable=False),
    Column("last_failure_at", BigInteger, nullable=False, index=True),
)

profile_fields = Table(
    "profile_fields",
    metadata,
    Column("did", DID, primary_key=True),
    Column("field", String(32), primary_key=True),
    Column("value", Text, nullable=False),
    Column("visibility", String(8), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

follows = Table(
    "follows",
    metadata,
    Column("follower", DID, primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("target", DID, primary_key=True),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_follows_target", "kind", "target"),
)

# Sealed direct messages (ciphertext only); a row goes once both sides have removed it.
messages = Table(
    "messages",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("sender", DID, nullable=False),
    Column("recipient", DID, nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("sent_at", BigInteger, nullable=False),
    Column("sender_keeps", Boolean, nullable=False),
    Column("recipient_keeps", Boolean, nullable=False),
    # The message's own id, the same on every node that holds it (`social.messages.digest`):
    # a message delivered twice is stored once.
    Column("digest", String(43), nullable=False),
    # For a message sent to a member of another node: queued, delivered, refused or failed.
    Column("delivery", String(16)),
    # The same message sealed to the sender's own key, when the sender's client made one:
    # only the recipient opens `ciphertext`.
    Column("sender_copy", LargeBinary),
    # When the recipient first read it on this node (None: unread).
    Column("read_at", BigInteger),
    # A member's messages newest first: one index range per side, paged by id.
    Index("ix_messages_recipient_id", "recipient", "id"),
    Index("ix_messages_sender_id", "sender", "id"),
    Index("ix_messages_digest", "digest", unique=True),
)

# Which member wrote through each Yjs client id of a live document: the first to send content
# under a client id owns it, so each author's share of a document can be measured.
doc_clients = Table(
    "doc_clients",
    metadata,
    Column("doc", ID, primary_key=True),
    Column("client", BigInteger, primary_key=True, autoincrement=False),
    Column("did", DID, nullable=False),
    Column("first_seen", BigInteger, nullable=False),
)

# Nodes this node replicates a space with beyond its members' homes: the node it joined from.
space_peers = Table(
    "space_peers",
    metadata,
    Column("space", ID, primary_key=True),
    Column("url", String(200), primary_key=True),
    Column("added", BigInteger, nullable=False),
)

# Events waiting to be pushed to another node; a row goes once that node has them.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("url", String(200), nullable=False),
    Column("space", ID, nullable=False),
    Column("event_id", ID, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", BigInteger, nullable=False),
    Column("last_error", String(200)),
    Index("ix_outbox_due", "next_at"),
)

# ActivityPub: who follows each public space's Group actor from the fediverse, and the
# signed activities waiting to be delivered to their inboxes (a row goes once delivered).
ap_followers = Table(
    "ap_followers",
    metadata,
    Column("space", ID, primary_key=True),
    Column("actor", String(500), primary_key=True),
    Column("inbox", String(500), nullable=False),
    Column("shared_inbox", String(500)),
    Column("follow_id", String(500), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_ap_followers_follow_id", "follow_id"),
)

ap_deliveries = Table(
    "ap_deliveries",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("inbox", String(500), nullable=False),
    Column("actor", String(500), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", BigInteger, nullable=False),
    Column("last_error", String(200)),
    Index("ix_ap_deliveries_due", "next_at"),
)

# Replies from fediverse accounts to the Notes of public spaces: node-local, not events
# (a remote actor holds no member key), keyed by the Note's id so a redelivery is the same
# row; `id` gives the order of arrival.
ap_replies = Table(
    "ap_replies",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("note_id", String(500), nullable=False, unique=True),
    Column("space", ID, nullable=False),
    Column("in_reply_to", ID, nullable=False),
    Column("thread", ID),
    Column("actor", String(500), nullable=False),
    Column("handle", String(500), nullable=False),
    Column("name", String(200), nullable=False),
    Column("profile_url", String(500), nullable=False),
    Column("text", Text, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger),
    Index("ix_ap_replies_thread", "space", "thread"),
)

# The keys of private spaces this node's members hold, sealed under the node's keyring.
space_keys = Table(
    "space_keys",
    metadata,
    Column("space", ID, primary_key=True),
    Column("kid", String(32), primary_key=True),
    Column("sealed_key", LargeBinary, nullable=False),
)

# Sealed messages waiting to be delivered to their recipient's home node; a row goes once
# that node took the message, refused it for good, or after the last attempt.
message_outbox = Table(
    "message_outbox",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("digest", String(43), nullable=False),
    Column("url", String(200), nullable=False),
    Column("sender", DID, nullable=False),
    Column("recipient", DID, nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("sent_at", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", BigInteger, nullable=False),
    Column("last_error", String(200)),
    Index("ix_message_outbox_due", "next_at"),
)

NOTE = String(100)  # a notification's stable id: its kind and what it is about

# The notifications a member has marked read on the page.
notification_reads = Table(
    "notification_reads",
    metadata,
    Column("did", DID, primary_key=True),
    Column("note", NOTE, primary_key=True),
    Column("read_at", BigInteger, nullable=False),
)

# A member's e-mail address and how often each kind of notification is mailed (JSON:
# kind -> immediately / daily / weekly / never); `token` opens their unsubscribe link;
# `daily_at` and `weekly_at` are when their last digest of each period was made.
mail_settings = Table(
    "mail_settings",
    metadata,
    Column("did", DID, primary_key=True),
    Column("address", String(254), nullable=False),
    Column("preferences", Text, nullable=False),
    Column("token", String(43), nullable=False),
    Column("daily_at", BigInteger, nullable=False),
    Column("weekly_at", BigInteger, nullable=False),
    Index("ix_mail_settings_token", "token", unique=True),
)

# Each notification once per member, from when it was first noticed: its sentence (never a
# private space's content), the cadence it was noticed under, and the mail it went out in.
mail_notes = Table(
    "mail_notes",
    metadata,
    Column("did", DID, primary_key=True),
    Column("note", NOTE, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("cadence", String(16), nullable=False),
    Column("sentence", Text, nullable=False),
    Column("link", String(500), nullable=False),
    Column("noticed_at", BigInteger, nullable=False),
    Column("mail", BigInteger),
    Index("ix_mail_notes_waiting", "did", "cadence", "mail"),
)

# Mail to members: queued -> sending -> sent, or back to queued after a failure, or failed,
# or uncertain (the connection broke while the server took it: never sent again).
mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("did", DID, nullable=False),
    Column("address", String(254), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("token", String(43), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", BigInteger, nullable=False),
    Column("queued_at", BigInteger, nullable=False),
    Column("sent_at", BigInteger),
    Column("last_error", String(200)),
    Index("ix_mail_outbox_due", "state", "next_at"),
)

PROJECTIONS = (event_status, spaces, members, heads)

# Invite links a member made: the hash of the link's secret (never the secret), who made it
# for which space, until when and how often it admits, and whether it was revoked.
invite_links = Table(
    "invite_links",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("space", ID, nullable=False),
    Column("inviter", DID, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("uses", Integer, nullable=False),
    Column("used", Integer, nullable=False),
    Column("revoked_at", BigInteger),
    Index("ix_invite_links_space", "space"),
)

# A domain's folded state of a space (`name`: whose, and which version of its code) at the
# log's first `end` positions, whose ids and decisions hash to `digest`; `body` is the
# state pickled, `mac` its keyed hash under the node's key (see `p2pvalue.snapshots`).
snapshots = Table(
    "snapshots",
    metadata,
    Column("space", ID, primary_key=True),
    Column("name", String(40), primary_key=True),
    Column("end", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("mac", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),
)
