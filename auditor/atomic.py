"""Writing a file so that readers see the old version or the new one, never half of one;
and making the folders those files live in.

Reports, results and mails are picked up by other programs (a mail job, a web
server, monitoring) while the next run writes them: the text goes to a
temporary file in the same folder, is flushed to disk, then renamed over the
old file (atomic on POSIX), and the rename is made durable.

They name every customer's hosts and weaknesses, so they are private: files
0600, folders the auditor creates 0700 (a folder that exists keeps its mode:
the user chose it). A reader under another account (a web server) is given
access by the user, on purpose.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from auditor.errors import OutputError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> Path:
    """``path`` as a folder: created 0700 (parents too) if missing, else left as it is."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is masked by the umask
    return path


def write_atomic(
    path: Path, text: str, *, errors: str = "strict", mode: int = PRIVATE_FILE
) -> None:
    """Replace ``path`` with ``text`` (UTF-8, file mode ``mode``); on any failure the old file
    stays untouched."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", errors=errors) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write ({exc.strerror or exc}); "
                              "the previous file is unchanged") from None  # fmt: skip
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
