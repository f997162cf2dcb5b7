"""inbox: session previews, last inbound time, voicemail messages linked to their call

Revision ID: 0003_inbox
Revises: 0002_assistant
Create Date: 2026-11-21 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_inbox"
down_revision: str | None = "0002_assistant"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: batch mode runs them in place on SQLite, without a table rebuild.
    with op.batch_alter_table("messaging_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_message_preview", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_messages_tenant_call", ["tenant_id", "call_id"], unique=False)


def downgrade() -> None:
    # Not batch mode for the drops: batch would rebuild the table on SQLite, and with foreign
    # keys on, dropping the old `messages` or `messaging_sessions` cascades into their child
    # rows. SQLite (3.35+) and PostgreSQL both drop a plain column in place.
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_tenant_call")
    op.drop_column("messages", "call_id")
    op.drop_column("messaging_sessions", "last_inbound_at")
    op.drop_column("messaging_sessions", "last_message_preview")
