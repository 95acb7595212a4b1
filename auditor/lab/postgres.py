"""A throwaway PostgreSQL server for the lab: Debian's binaries, run as the ``postgres`` user.

It listens on loopback (a free port) and on a Unix socket in a folder of its
own. Lab namespaces reach it through that socket: network namespaces share
the filesystem, so a site's worker needs no route out of its site to reach
the history store and queue. Data lives in a temporary folder and goes with
:meth:`LabPostgres.stop`; ``fsync`` is off (nothing here must survive a crash).
"""

from __future__ import annotations

import glob
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from types import TracebackType

from auditor.lab.spec import LabError


def _bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not found:
        raise LabError(f"no PostgreSQL {tool}: install Debian's postgresql (make test does)")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(*argv: str, timeout: float = 120) -> None:
    done = subprocess.run(["runuser", "-u", "postgres", "--", *argv], timeout=timeout,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)  # fmt: skip
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).split())[-300:]
        raise LabError(f"{Path(argv[0]).name}: exit {done.returncode}: {tail}")


class LabPostgres:
    """``with LabPostgres() as pg: url = pg.new_database()``."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="auditor-pg-"))
        self.port = _free_port()
        self._running = False

    @property
    def url(self) -> str:
        """``postgresql+psycopg://postgres@127.0.0.1:PORT/`` (append a database name)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/"

    def socket_url(self, database: str) -> str:
        """The URL of ``database`` through the Unix socket (from any network namespace)."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.base}&port={self.port}"

    def start(self) -> LabPostgres:
        shutil.chown(self.base, "postgres")
        data = self.base / "data"
        _as_postgres(_bin("initdb"), "-D", str(data), "--auth=trust", "-U", "postgres",
                     "-E", "UTF8", "--no-sync")  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c fsync=off"
        _as_postgres(_bin("pg_ctl"), "-D", str(data), "-l", str(self.base / "server.log"), "-w",
                     "-t", "60", "-o", options, "start")  # fmt: skip
        self._running = True
        return self

    def new_database(self) -> str:
        """A fresh, empty database; its name."""
        import psycopg

        name = f"h_{uuid.uuid4().hex[:12]}"
        plain = self.url.replace("postgresql+psycopg://", "postgresql://") + "postgres"
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def stop(self) -> None:
        if self._running:
            _as_postgres(_bin("pg_ctl"), "-D", str(self.base / "data"), "-m", "immediate", "stop")
            self._running = False
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> LabPostgres:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
