"""pending events: who sent each (so that one sender's share of the buffer is bounded) and
an index on when it came (so that expired ones are dropped cheaply)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_events") as table:
        table.add_column(
            sa.Column("origin", sa.String(length=200), nullable=False, server_default="")
        )
        table.create_index("ix_pending_events_origin", ["origin"])
        table.create_index("ix_pending_events_received_at", ["received_at"])


def downgrade() -> None:
    with op.batch_alter_table("pending_events") as table:
        table.drop_index("ix_pending_events_received_at")
        table.drop_index("ix_pending_events_origin")
        table.drop_column("origin")
