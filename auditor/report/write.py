"""Writes a run's HTML reports next to its results JSON (the only I/O of reporting)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from auditor.model import RunResult
from auditor.profile import Profile
from auditor.report.render import customer_pages, render_customer, render_index


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(
    run: RunResult, profile: Profile, out_dir: Path, *, lang: str = "de"
) -> list[Path]:
    """Write ``index.html`` and one page per customer; returns the paths written."""
    pages = customer_pages(run)
    written = []
    for page in pages:
        path = out_dir / page.filename
        _write_atomic(path, render_customer(run, page, profile.titles, lang))
        written.append(path)
    index = out_dir / "index.html"
    _write_atomic(index, render_index(run, pages, lang))
    return [index, *written]
