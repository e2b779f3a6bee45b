"""Private spaces: the opened content of sealed events, the spaces that are private, and the
space keys this node's members hold

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plain", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("spaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("readable", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.create_table(
        "space_keys",
        sa.Column("space", sa.String(length=64), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("space", "kid"),
    )


def downgrade() -> None:
    op.drop_table("space_keys")
    with op.batch_alter_table("spaces", schema=None) as batch_op:
        batch_op.drop_column("readable")
        batch_op.drop_column("private")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("plain")
