"""Writes a run's HTML reports next to its results JSON: the only I/O of reporting.

Files are written atomically (temp file, then rename), UTF-8, so a mail job
picking up ``reports/`` never sees half a page.
"""

from __future__ import annotations

from pathlib import Path

from auditor.atomic import write_atomic
from auditor.history.changes import RunChanges
from auditor.model import RunResult
from auditor.report.render import customer_pages, render_customer, render_index
from auditor.report.survey import SurveyNote
from auditor.report.view import ReportOptions
from auditor.report.when import zone


def write_reports(
    run: RunResult,
    out_dir: Path,
    *,
    lang: str = "de",
    timezone: str | None = None,
    changes: RunChanges | None = None,
    survey: SurveyNote | None = None,
) -> list[Path]:
    """Write ``index.html`` and one page per customer; returns the paths written.

    ``timezone`` is an IANA name (``--timezone``); None means the machine's
    zone. ``changes`` (what changed since each host's previous run, and since
    when credentials fall short) comes from the history store, when there is one.
    ``survey`` marks the pages as a site survey or check-here (report/survey.py).
    """
    options = ReportOptions(lang=lang, tz=zone(timezone), changes=changes, survey=survey)
    pages = customer_pages(run)
    written = []
    for page in pages:
        path = out_dir / page.filename
        write_atomic(path, render_customer(run, page, options), errors="replace")
        written.append(path)
    index = out_dir / "index.html"
    write_atomic(index, render_index(run, pages, options), errors="replace")
    return [index, *written]
