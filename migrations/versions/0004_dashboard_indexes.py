"""dashboard indexes: the executive dashboard's period scans read only an index

Each of the dashboard's per-period GROUP BYs filters on (tenant, a time) and reads a few
short columns; with those columns in the index, PostgreSQL answers from the index alone
(an index-only scan) and SQLite from a covering index, instead of visiting every row.
The assistant's tables get none: a company's chats are few beside its calls, and a
(tenant, time) index there would stand in for the full-text index in the planner's eyes.

Revision ID: 0004_dashboard_indexes
Revises: 0003_inbox
Create Date: 2026-12-02 05:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_dashboard_indexes"
down_revision: str | None = "0003_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    (
        "ix_calls_tenant_started_outcome",
        "calls",
        ["tenant_id", "started_at", "handled_by_role", "outcome"],
    ),
    (
        "ix_leads_tenant_created_cohort",
        "leads",
        ["tenant_id", "created_at", "source", "status", "estimated_value", "first_response_at"],
    ),
    (
        "ix_messages_tenant_created_delivery",
        "messages",
        ["tenant_id", "created_at", "direction", "status", "sender"],
    ),
)


def upgrade() -> None:
    # Plain CREATE INDEX: no table rebuild on SQLite.
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
