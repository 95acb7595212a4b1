"""Reading and writing ``results.json``: atomic on write, validated both ways.

A crash or a serialisation error mid-write must never leave a half-written
``results.json`` that reports and history would then read: the document is
streamed into a temporary file in the same directory, fsynced, and moved over
the old one with ``os.replace`` (atomic on POSIX and Windows).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from auditor.model import RunResult
from auditor.results.schema import ResultsError, from_document, to_document, validate

RESULTS_NAME = "results.json"


def write_results(run: RunResult, out_dir: str | Path) -> Path:
    """Validate ``run`` as a document and write ``out_dir/results.json`` atomically.

    Creates ``out_dir`` if needed. On any failure the previous file (if any) is
    untouched, the temporary file is removed and the exception propagates.
    """
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / RESULTS_NAME
    doc = to_document(run)
    validate(doc, str(target))
    fd, tmp_name = tempfile.mkstemp(prefix=".results-", suffix=".tmp", dir=directory)
    try:
        # A lone surrogate (undecodable host output) becomes a JSON \uXXXX escape, not a crash.
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
            json.dump(doc, handle, ensure_ascii=False, indent=2, allow_nan=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(directory)
    return target


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); Windows cannot open directories."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_results(path: str | Path) -> RunResult:
    """Read and validate a results document; problems raise a one-line ``ResultsError``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read results: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    return from_document(doc, str(path))
