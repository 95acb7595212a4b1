"""Turns a run into HTML: one page per customer and the MSP's overview. Pure, no I/O.

Every template is rendered with autoescape on: host names, device output,
banners and certificate fields are untrusted and come out escaped; a
``finalize`` hook also replaces lone surrogates and control characters, so
text that was not valid UTF-8 on the device cannot break the page or its
encoding. Nothing here sees a secret: results carry none.

Pages are single self-contained files (inline CSS, no scripts, no external
fonts or images), so they survive being mailed and work with JavaScript off.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
import markupsafe

from auditor import __version__
from auditor.model import RunResult
from auditor.report.evidence import replace_unprintable
from auditor.report.overview import CustomerPage, customer_pages, overview_view
from auditor.report.view import ReportOptions, customer_view
from auditor.report.words import Words

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

__all__ = ["CustomerPage", "ReportOptions", "customer_pages", "render_customer", "render_index"]


def _clean(value: object) -> object:
    """Jinja ``finalize``: strings lose controls (except newline/tab) and lone surrogates.

    Markup (a macro's output) is left alone: its values were cleaned when it was made.
    """
    if isinstance(value, markupsafe.Markup):
        return value
    if not isinstance(value, str):
        return "" if value is None else value
    return replace_unprintable(value, keep_lines=True)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every template, whatever its file name
        undefined=jinja2.StrictUndefined,
        finalize=_clean,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_customer(run: RunResult, page: CustomerPage, options: ReportOptions) -> str:
    """The customer's report as one HTML document."""
    view = customer_view(run, page.customer, page.filename, page.hosts, options)
    template = _environment().get_template("customer.html.j2")
    return template.render(run=_run_meta(run), page=view, w=Words(options.lang), lang=options.lang)


def render_index(run: RunResult, pages: tuple[CustomerPage, ...], options: ReportOptions) -> str:
    """The MSP overview (``index.html``) linking every customer page and ``results.json``."""
    view = overview_view(run, pages, options)
    template = _environment().get_template("index.html.j2")
    return template.render(run=_run_meta(run), page=view, w=Words(options.lang), lang=options.lang)


def _run_meta(run: RunResult) -> dict[str, str]:
    return {
        "id": run.run_id,
        "profile_name": run.profile_name,
        "profile_version": run.profile_version,
        "auditor_version": run.auditor_version or __version__,
    }
