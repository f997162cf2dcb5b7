"""appointment texts: each company's settings, and every confirmation and reminder planned

Revision ID: 0005_appointment_texts
Revises: 0004_dashboard_indexes
Create Date: 2026-12-02 05:16:27.154648
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_appointment_texts"
down_revision: str | None = "0004_dashboard_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _record_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    # New tables only: nothing is added to `tenants` (a batch rebuild of it on SQLite would
    # cascade-delete its child rows).
    op.create_table(
        "appointment_text_settings",
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("confirmation_enabled", sa.Boolean(), nullable=False),
        sa.Column("reminder_offsets", JSONDoc, nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("confirmation_template", sa.Text(), nullable=True),
        sa.Column("reminder_template", sa.Text(), nullable=True),
        *_record_columns(),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_appointment_text_settings_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_text_settings")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_appointment_text_settings_tenant_id")),
    )
    op.create_table(
        "appointment_texts",
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("appointment_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        *_record_columns(),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_texts_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact_cards.id"],
            name=op.f("fk_appointment_texts_contact_id_contact_cards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_appointment_texts_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_appointment_texts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_texts")),
        sa.UniqueConstraint(
            "appointment_id",
            "purpose",
            "offset_minutes",
            "appointment_starts_at",
            name="uq_appointment_texts_one_per_start",
        ),
        sa.UniqueConstraint("message_id", name=op.f("uq_appointment_texts_message_id")),
    )
    op.create_index(
        "ix_appointment_texts_tenant_appointment",
        "appointment_texts",
        ["tenant_id", "appointment_id"],
    )
    op.create_index(
        "ix_appointment_texts_tenant_status_due",
        "appointment_texts",
        ["tenant_id", "status", "due_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_appointment_texts_tenant_status_due", table_name="appointment_texts")
    op.drop_index("ix_appointment_texts_tenant_appointment", table_name="appointment_texts")
    op.drop_table("appointment_texts")
    op.drop_table("appointment_text_settings")
