"""The test session's real PostgreSQL server (``auditor/lab/postgres.py``; fresh databases from it).

Store tests connect over loopback; lab namespaces (site workers) through its
Unix socket.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from auditor.lab.postgres import LabPostgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[LabPostgres]:
    """A PostgreSQL server only this session uses."""
    with LabPostgres() as server:
        yield server
