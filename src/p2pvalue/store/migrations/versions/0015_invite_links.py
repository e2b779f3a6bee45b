"""invite_links: expiring, revocable links a member makes to let people join a space

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invite_links",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("space", sa.String(length=64), nullable=False),
        sa.Column("inviter", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("invite_links", schema=None) as batch_op:
        batch_op.create_index("ix_invite_links_space", ["space"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("invite_links", schema=None) as batch_op:
        batch_op.drop_index("ix_invite_links_space")
    op.drop_table("invite_links")
