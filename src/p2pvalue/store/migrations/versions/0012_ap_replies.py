"""ap_replies: replies from fediverse accounts to the Notes of public spaces, kept on the
node that hosts the group and not replicated

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ap_replies",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("note_id", sa.String(length=500), nullable=False),
        sa.Column("space", sa.String(length=64), nullable=False),
        sa.Column("in_reply_to", sa.String(length=64), nullable=False),
        sa.Column("thread", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=500), nullable=False),
        sa.Column("handle", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("profile_url", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("note_id"),
    )
    with op.batch_alter_table("ap_replies", schema=None) as batch_op:
        batch_op.create_index("ix_ap_replies_thread", ["space", "thread"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ap_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_ap_replies_thread")
    op.drop_table("ap_replies")
