"""Mails: each customer's report, sent (or not) for a run.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mails",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),  # a run of the store, or of a file
        sa.Column("customer", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),  # sent | failed
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_mails_run_customer", "mails", ["run_id", "customer"])


def downgrade() -> None:
    op.drop_table("mails")
