"""social: profile fields and follows (node-local personal data), feed and membership indexes

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profile_fields",
        sa.Column("did", sa.String(length=80), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("did", "field"),
    )
    op.create_table(
        "follows",
        sa.Column("follower", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("follower", "kind", "target"),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index("ix_follows_target", ["kind", "target"], unique=False)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_space_ts", ["space", "ts", "seq"], unique=False)
        batch_op.create_index("ix_events_author_ts", ["author", "ts", "seq"], unique=False)
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index("ix_members_did", ["did"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_did")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_author_ts")
        batch_op.drop_index("ix_events_space_ts")
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index("ix_follows_target")
    op.drop_table("follows")
    op.drop_table("profile_fields")
