"""Writing a file so that readers see the old version or the new one, never half of one.

Reports, results and (later) metrics are picked up by other programs (a
mail job, a web server, monitoring) while the next run writes them: the
text goes to a temporary file in the same folder, is flushed to disk, then
renamed over the old file (atomic on POSIX), and the rename is made durable.
The file gets the permissions a plain ``open()`` would give (0666 minus the
umask), not ``mkstemp``'s 0600, so a report is as readable as any file the
user writes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomic(path: Path, text: str, *, errors: str = "strict") -> None:
    """Replace ``path`` with ``text`` (UTF-8); on any failure the old file stays untouched."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "w", encoding="utf-8", errors=errors) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); Windows cannot open directories."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
