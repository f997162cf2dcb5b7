"""call intelligence: analysis findings and tokens, recording segments, AI task origins, the
record changes Otto and Shunya make, and the tenant's call-recording switch

Revision ID: 0006_callintel
Revises: 0005_appointment_texts
Create Date: 2026-12-02 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# JSON documents: JSONB on PostgreSQL, JSON text on SQLite (frozen here, not imported).
JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0006_callintel"
down_revision: str | None = "0005_appointment_texts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs everywhere: no batch rebuild on SQLite, which would cascade-delete
    # the child rows of `tenants`, `calls` and `tasks`.
    op.add_column(
        "tenants",
        sa.Column("record_calls", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("call_analyses", sa.Column("findings", JSONDoc, nullable=True))
    op.add_column("call_analyses", sa.Column("prompt_tokens", sa.Integer(), nullable=True))
    op.add_column("call_analyses", sa.Column("completion_tokens", sa.Integer(), nullable=True))
    op.add_column("recording_sessions", sa.Column("transcript_segments", JSONDoc, nullable=True))
    op.add_column("tasks", sa.Column("origin_key", sa.String(length=200), nullable=True))
    op.create_index("ix_tasks_tenant_origin_key", "tasks", ["tenant_id", "origin_key"], unique=True)
    op.create_table(
        "record_changes",
        sa.Column("record_kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.String(length=32), nullable=True),
        sa.Column("new_value", sa.String(length=32), nullable=True),
        sa.Column("made_by", sa.String(length=16), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=True),
        sa.Column("recording_id", sa.Uuid(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_record_changes_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording_sessions.id"],
            name=op.f("fk_record_changes_recording_id_recording_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_record_changes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_changes")),
    )
    op.create_index(
        "ix_record_changes_tenant_record",
        "record_changes",
        ["tenant_id", "record_kind", "record_id"],
        unique=False,
    )


def downgrade() -> None:
    # Plain DROP COLUMNs (SQLite 3.35+ and PostgreSQL drop in place): a batch rebuild of a
    # parent table would cascade into its children.
    op.drop_index("ix_record_changes_tenant_record", table_name="record_changes")
    op.drop_table("record_changes")
    op.drop_index("ix_tasks_tenant_origin_key", table_name="tasks")
    op.drop_column("tasks", "origin_key")
    op.drop_column("recording_sessions", "transcript_segments")
    op.drop_column("call_analyses", "completion_tokens")
    op.drop_column("call_analyses", "prompt_tokens")
    op.drop_column("call_analyses", "findings")
    op.drop_column("tenants", "record_calls")
