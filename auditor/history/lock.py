"""One run at a time per history store: a lock the operating system or the server releases.

SQLite: an exclusive ``flock`` on ``<database>.lock`` beside the file.
PostgreSQL: a session-level advisory lock, held on a connection of its own
for the whole run. Both die with the process that holds them (a ``kill -9``
included), so a crashed run never blocks the next night; the lock file
says who holds it, for the message the second run prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

from auditor.atomic import PRIVATE_FILE, private_dir
from auditor.errors import HistoryBusy

# pg_try_advisory_lock key: "auditor" as an integer, so other users of the database keep theirs
ADVISORY_KEY = int.from_bytes(b"auditor", "big")


def holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@contextlib.contextmanager
def run_lock(engine: Engine, shown: str) -> Iterator[None]:
    """Hold the store's run lock, or raise :class:`HistoryBusy` at once."""
    if engine.dialect.name == "sqlite":
        with _file_lock(Path(str(engine.url.database) + ".lock"), shown):
            yield
        return
    with engine.connect() as connection:
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY})
        if not got.scalar():
            raise HistoryBusy(f"history store {shown} is in use by another auditor run")
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})


@contextlib.contextmanager
def _file_lock(path: Path, shown: str) -> Iterator[None]:
    private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    with os.fdopen(fd, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            who = handle.read().strip() or "another process"
            raise HistoryBusy(
                f"history store {shown} is in use by another auditor run ({who})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(holder() + "\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
