"""The test session's real PostgreSQL server (``auditor/lab/postgres.py``), and fresh databases.

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


@pytest.fixture(scope="session")
def postgres_server(postgres: LabPostgres) -> str:
    """``postgresql+psycopg://postgres@127.0.0.1:PORT/``."""
    return postgres.url


def new_database(server: str) -> str:
    """A fresh, empty database on the server at ``server`` (its loopback URL); its store URL."""
    import uuid

    import psycopg

    name = f"h_{uuid.uuid4().hex[:12]}"
    plain = server.replace("postgresql+psycopg://", "postgresql://") + "postgres"
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server + name
