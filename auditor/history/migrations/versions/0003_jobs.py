"""Distributed runs: a run's jobs, one per customer (or chunk) and site, and its deadline.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.add_column(sa.Column("deadline_at", WHEN, nullable=True))
        runs.add_column(sa.Column("plan", sa.JSON(), nullable=True))
    op.create_table(
        "run_jobs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("customer", sa.String(255), nullable=False),
        sa.Column("hosts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(255), nullable=True),
        sa.Column("queue_job_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_run_jobs_run_id", "run_jobs", ["run_id"])
    op.create_table(
        "site_workers",
        sa.Column("name", sa.String(255), primary_key=True),  # site/host:pid
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("auditor_version", sa.String(64), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("last_seen", WHEN, nullable=False),
        sa.Column("stopped_at", WHEN, nullable=True),
        sa.Column("jobs_done", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("site_workers")
    op.drop_table("run_jobs")
    with op.batch_alter_table("runs") as runs:
        runs.drop_column("plan")
        runs.drop_column("deadline_at")
