"""The history store: runs, hosts, checks, findings.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("auditor_version", sa.String(64), nullable=False),
        sa.Column("profile_name", sa.String(255), nullable=False),
        sa.Column("profile_version", sa.String(64), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("inventory_sources", sa.JSON(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
    )
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_table(
        "hosts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("customer", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("compliant", sa.Boolean(), nullable=False),
        sa.Column("credentials_since", WHEN, nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.UniqueConstraint("run_id", "customer", "name"),
    )  # fmt: skip
    op.create_index("ix_hosts_run_id", "hosts", ["run_id"])
    op.create_index("ix_hosts_customer_name", "hosts", ["customer", "name"])
    op.create_table(
        "checks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("host_id", sa.Integer(), sa.ForeignKey("hosts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("check_id", sa.String(128), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("problem_since", WHEN, nullable=True),
        sa.UniqueConstraint("host_id", "check_id"),
    )  # fmt: skip
    op.create_index("ix_checks_host_id", "checks", ["host_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("host_id", sa.Integer(), sa.ForeignKey("hosts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("check_id", sa.String(128), nullable=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
    )  # fmt: skip
    op.create_index("ix_findings_host_id", "findings", ["host_id"])
    op.create_index("ix_findings_code", "findings", ["code"])


def downgrade() -> None:
    for table in ("findings", "checks", "hosts", "runs"):
        op.drop_table(table)
