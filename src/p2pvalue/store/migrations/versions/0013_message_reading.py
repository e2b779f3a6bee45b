"""Direct messages as the pages show them: the sender's own sealed copy of a message (so a
sender reads what they wrote) and when its recipient first read it (for unread counts)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_copy", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("read_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("read_at")
        batch_op.drop_column("sender_copy")
