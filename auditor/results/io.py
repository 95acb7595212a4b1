"""Reading and writing ``results.json``: atomic on write, validated both ways.

A crash or a serialisation error mid-write must never leave a half-written
``results.json`` that reports and history would then read: the document is
serialised first, then written with :func:`auditor.atomic.write_atomic`.
"""

from __future__ import annotations

import json
from pathlib import Path

from auditor.atomic import private_dir, write_atomic
from auditor.model import RunResult
from auditor.results.schema import ResultsError, from_document, to_document, validate

RESULTS_NAME = "results.json"


def write_results(run: RunResult, out_dir: str | Path) -> Path:
    """Validate ``run`` as a document and write ``out_dir/results.json`` atomically.

    Creates ``out_dir`` if needed. On any failure the previous file (if any) is
    untouched, the temporary file is removed and the exception propagates.
    """
    directory = Path(out_dir)
    private_dir(directory)
    target = directory / RESULTS_NAME
    doc = to_document(run)
    validate(doc, str(target))
    # A lone surrogate (undecodable host output) becomes a JSON \uXXXX escape, not a crash.
    text = json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    write_atomic(target, text, errors="backslashreplace")
    return target


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
