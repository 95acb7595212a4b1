"""The history store's schema version: Alembic's migrations, run by the tool itself.

``auditor db upgrade`` migrates a store to this auditor's schema; an empty
database is migrated on first use without being asked. A store at another
revision is never touched behind the user's back: opening it says what to run.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("auditor.history") / "migrations")
    )
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The revision this auditor writes and reads."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None, "auditor/history/migrations has no revision"
    return revision


def current(engine: Engine) -> str | None:
    """The store's revision; None for an empty database (or one Alembic never touched)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_empty(engine: Engine) -> bool:
    with engine.connect() as connection:
        return not inspect(connection).get_table_names()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to :func:`head` in one transaction; returns (before, after)."""
    before = current(engine)
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    return before, head()
