"""Notifications read and mailed: notification_reads (marked read on the page),
mail_settings (a member's address and preferences), mail_notes (each notification noticed
once per member) and mail_outbox (the mail waiting for, or given to, the SMTP server)

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DID = sa.String(length=80)
NOTE = sa.String(length=100)


def upgrade() -> None:
    op.create_table(
        "notification_reads",
        sa.Column("did", DID, nullable=False),
        sa.Column("note", NOTE, nullable=False),
        sa.Column("read_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("did", "note"),
    )
    op.create_table(
        "mail_settings",
        sa.Column("did", DID, nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("preferences", sa.Text(), nullable=False),
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("daily_at", sa.BigInteger(), nullable=False),
        sa.Column("weekly_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("did"),
    )
    with op.batch_alter_table("mail_settings", schema=None) as batch_op:
        batch_op.create_index("ix_mail_settings_token", ["token"], unique=True)
    op.create_table(
        "mail_notes",
        sa.Column("did", DID, nullable=False),
        sa.Column("note", NOTE, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("noticed_at", sa.BigInteger(), nullable=False),
        sa.Column("mail", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("did", "note"),
    )
    with op.batch_alter_table("mail_notes", schema=None) as batch_op:
        batch_op.create_index("ix_mail_notes_waiting", ["did", "cadence", "mail"], unique=False)
    op.create_table(
        "mail_outbox",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("did", DID, nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.BigInteger(), nullable=False),
        sa.Column("queued_at", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_mail_outbox_due", ["state", "next_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_outbox_due")
    op.drop_table("mail_outbox")
    with op.batch_alter_table("mail_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_notes_waiting")
    op.drop_table("mail_notes")
    with op.batch_alter_table("mail_settings", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_settings_token")
    op.drop_table("mail_settings")
    op.drop_table("notification_reads")
