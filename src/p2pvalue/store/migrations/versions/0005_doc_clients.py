"""doc_clients: the member behind each Yjs client id of a live document, node-local

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "doc_clients",
        sa.Column("doc", sa.String(length=64), nullable=False),
        sa.Column("client", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("did", sa.String(length=80), nullable=False),
        sa.Column("first_seen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("doc", "client"),
    )


def downgrade() -> None:
    op.drop_table("doc_clients")
