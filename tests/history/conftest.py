"""History store fixtures: a real PostgreSQL server per session, and one store URL per test.

Every store test runs against SQLite (a file in tmp_path) and against a real
PostgreSQL server (Debian's, started here on loopback with its own data
folder and a free port, as the ``postgres`` user; a fresh database per test).
"""

from __future__ import annotations

import glob
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest


def _pg_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not found:
        raise RuntimeError(f"no PostgreSQL {tool}: install Debian's postgresql (make test does)")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(*argv: str, timeout: float = 120) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, timeout=timeout,
                   capture_output=True, stdin=subprocess.DEVNULL)  # fmt: skip


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """``postgresql+psycopg://postgres@127.0.0.1:PORT/``: a server only this session uses."""
    base = Path(tempfile.mkdtemp(prefix="auditor-pg-"))
    shutil.chown(base, "postgres")
    data = base / "data"
    _as_postgres(_pg_bin("initdb"), "-D", str(data), "--auth=trust", "-U", "postgres",
                 "-E", "UTF8", "--no-sync")  # fmt: skip
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off"
    _as_postgres(_pg_bin("pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w",
                 "-t", "60", "-o", options, "start")  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/"
    finally:
        _as_postgres(_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


def new_database(server: str) -> str:
    """A fresh, empty database on ``server``; its store URL."""
    name = f"h_{uuid.uuid4().hex[:12]}"
    plain = server.replace("postgresql+psycopg://", "postgresql://") + "postgres"
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server + name


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty history store: a SQLite file, or a new database on the session's server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite'}"
    server: str = request.getfixturevalue("postgres_server")
    return new_database(server)
