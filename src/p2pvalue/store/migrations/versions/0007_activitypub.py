"""ap_followers and ap_deliveries: fediverse followers of public spaces, and the signed
activities waiting for their inboxes

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ap_followers",
        sa.Column("space", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=500), nullable=False),
        sa.Column("inbox", sa.String(length=500), nullable=False),
        sa.Column("shared_inbox", sa.String(length=500), nullable=True),
        sa.Column("follow_id", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("space", "actor"),
    )
    with op.batch_alter_table("ap_followers", schema=None) as batch_op:
        batch_op.create_index("ix_ap_followers_follow_id", ["follow_id"], unique=False)
    op.create_table(
        "ap_deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("inbox", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=500), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ap_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_ap_deliveries_due", ["next_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ap_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_ap_deliveries_due")
    op.drop_table("ap_deliveries")
    with op.batch_alter_table("ap_followers", schema=None) as batch_op:
        batch_op.drop_index("ix_ap_followers_follow_id")
    op.drop_table("ap_followers")
