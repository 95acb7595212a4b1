"""A real PostgreSQL server for the test session: Debian's, as the ``postgres`` user.

Started on loopback with its own data folder, a free port and a Unix socket
folder of its own. Lab namespaces reach it through that socket: the
filesystem is shared between network namespaces, so a site worker needs no
route out of its site to reach the store.
"""

from __future__ import annotations

import glob
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest


@dataclass(frozen=True)
class PgServer:
    url: str  # postgresql+psycopg://postgres@127.0.0.1:PORT/ (append a database name)
    socket_dir: Path
    port: int

    def socket_url(self, database: str) -> str:
        """The URL of ``database`` through the Unix socket (from any network namespace)."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}&port={self.port}"


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
def postgres() -> Iterator[PgServer]:
    """A PostgreSQL server only this session uses."""
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
        yield PgServer(f"postgresql+psycopg://postgres@127.0.0.1:{port}/", base, port)
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


@pytest.fixture(scope="session")
def postgres_server(postgres: PgServer) -> str:
    """``postgresql+psycopg://postgres@127.0.0.1:PORT/``."""
    return postgres.url
