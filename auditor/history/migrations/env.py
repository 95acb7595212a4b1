"""Alembic's entry point for the history store; the connection comes from the caller.

``auditor db upgrade`` (and the store on first use of an empty database) runs
the migrations in ``versions/`` through :func:`auditor.history.schema.upgrade`,
which hands its open connection over in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from auditor.history.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
