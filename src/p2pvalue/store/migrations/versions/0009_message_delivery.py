"""Direct messages between nodes: each message's digest (its id on every node, unique), its
delivery state, and message_outbox, the sealed messages waiting for their recipient's node

Revision ID: 0009
Revises: 0008
"""

import base64
import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# What a sender signs starts with this prefix (`social.messages.signed_bytes`); the digest
# is computed here as it was at this revision, so later changes to the code do not alter it.
SIGNING_DOMAIN = b"p2pvalue-message\x00"


def _digest(sender: str, recipient: str, ciphertext: bytes) -> str:
    signed = SIGNING_DOMAIN + recipient.encode() + b"\x00" + ciphertext
    hashed = hashlib.sha256(sender.encode() + b"\x00" + signed).digest()
    return base64.urlsafe_b64encode(hashed).rstrip(b"=").decode("ascii")


def _fill_digests() -> None:
    """Give every message its digest; a message stored twice (the same sealed box from the
    same sender to the same recipient) is kept once, by whoever kept either copy."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, sender, recipient, ciphertext, sender_keeps, recipient_keeps"
        " FROM messages ORDER BY id"
    ))  # fmt: skip
    seen: dict[str, tuple[int, bool, bool]] = {}
    for id_, sender, recipient, ciphertext, sender_keeps, recipient_keeps in rows.all():
        digest = _digest(sender, recipient, bytes(ciphertext))
        first = seen.get(digest)
        if first is None:
            seen[digest] = (id_, bool(sender_keeps), bool(recipient_keeps))
            conn.execute(sa.text("UPDATE messages SET digest = :d WHERE id = :i"),
                         {"d": digest, "i": id_})  # fmt: skip
            continue
        keeps = (first[1] or bool(sender_keeps), first[2] or bool(recipient_keeps))
        conn.execute(
            sa.text("UPDATE messages SET sender_keeps = :s, recipient_keeps = :r WHERE id = :i"),
            {"s": keeps[0], "r": keeps[1], "i": first[0]},
        )
        conn.execute(sa.text("DELETE FROM messages WHERE id = :i"), {"i": id_})
        seen[digest] = (first[0], *keeps)


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=43), nullable=True))
        batch_op.add_column(sa.Column("delivery", sa.String(length=16), nullable=True))
    _fill_digests()
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("digest", existing_type=sa.String(length=43), nullable=False)
        batch_op.create_index("ix_messages_digest", ["digest"], unique=True)
    op.create_table(
        "message_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("digest", sa.String(length=43), nullable=False),
        sa.Column("url", sa.String(length=200), nullable=False),
        sa.Column("sender", sa.String(length=80), nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_message_outbox_due", ["next_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_message_outbox_due")
    op.drop_table("message_outbox")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_digest")
        batch_op.drop_column("delivery")
        batch_op.drop_column("digest")
