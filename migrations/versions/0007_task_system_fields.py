"""tasks.system_fields: what the system last wrote into a task it keeps in step with its
source (a call analysis' next step), so a re-analysis leaves a person's edits standing

Revision ID: 0007_task_system_fields
Revises: 0006_callintel
Create Date: 2026-12-02 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# JSON documents: JSONB on PostgreSQL, JSON text on SQLite (frozen here, not imported).
JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0007_task_system_fields"
down_revision: str | None = "0006_callintel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: no batch rebuild on SQLite, which would cascade-delete what
    # points at `tasks`.
    op.add_column("tasks", sa.Column("system_fields", JSONDoc, nullable=True))


def downgrade() -> None:
    op.drop_column("tasks", "system_fields")
