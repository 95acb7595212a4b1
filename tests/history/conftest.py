"""History store fixtures: one store URL per test, SQLite or PostgreSQL.

Every store test runs against SQLite (a file in tmp_path) and against the
session's real PostgreSQL server (``tests/pg.py``; a fresh database per test).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.lab.postgres import LabPostgres


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty history store: a SQLite file, or a new database on the session's server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite'}"
    server: LabPostgres = request.getfixturevalue("postgres")
    return server.url + server.new_database()
