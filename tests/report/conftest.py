"""Report test helpers: what a page says outside its evidence, and how to write a run's pages.

The browser itself (``browser``, ``open_report``, :class:`Opened`) is shared
by every test folder: tests/browser.py, registered in tests/conftest.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page

from auditor.model import RunResult
from auditor.report.write import write_reports
from auditor.results.io import write_results
from tests.browser import Opened as Opened  # re-exported: the report tests import it from here


def write_all(run: RunResult, out: Path, lang: str = "de") -> list[Path]:
    """What ``auditor run`` writes: results.json beside the HTML reports."""
    out.mkdir(parents=True, exist_ok=True)
    write_results(run, out)
    return write_reports(run, out, lang=lang, timezone="Europe/Berlin")


def english_outside_evidence(text_outside: str) -> list[str]:
    """English words that give an English sentence away, found in German text.

    Only words that are not also German (``was``, ``in``, ``so`` are) and that
    a German sentence of ours never needs (``Host`` is one: TeamViewer Host);
    raw evidence is excluded by the caller.
    """
    words = re.findall(r"[A-Za-zÄÖÜäöüß]+", text_outside)
    return sorted({w for w in words if w.lower() in ENGLISH})


ENGLISH = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "is",
        "are",
        "not",
        "could",
        "with",
        "from",
        "this",
        "that",
        "been",
        "were",
        "has",
        "have",
        "which",
        "did",
        "does",
        "within",
        "failed",
        "refused",
        "answered",
        "resolved",
        "connected",
        "because",
        "should",
        "would",
        "their",
        "there",
        "allow",
        "check",
        "checks",
        "device",
        "devices",
        "no",
        "yes",
        "audited",
        "only",
        "when",
        "where",
        "open",
        "closed",
        "rejected",
        "filtered",
        "unreachable",
        "blocked",
        "proven",
    ]
)


# Text nodes outside raw evidence (code, samp, anything marked lang="en"), including
# the content of closed <details>: what a reader of the page reads as sentences.
_OUTSIDE_EVIDENCE = """() => {
  const skip = el => el.closest('code, samp, [lang="en"], style, script');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!skip(n.parentElement)) out.push(n.textContent);
  }
  return out.join(' ');
}"""


def text_outside_evidence(page: Page) -> str:
    return str(page.evaluate(_OUTSIDE_EVIDENCE))


def assert_findings_agree_with_cells(page: Page) -> int:
    """Each finding's verdict is the verdict of every check it names, read from data-*.

    Returns how many findings named a check (a page with none proves nothing).
    """
    cells = {
        (c.get_attribute("data-host"), c.get_attribute("data-check")): c.get_attribute(
            "data-verdict"
        )
        for c in page.locator("#devices td[data-check]").all()
    }
    named = 0
    for row in page.locator("tr.finding").all():
        host, verdict = row.get_attribute("data-host"), row.get_attribute("data-verdict")
        assert verdict in ("fail", "error", "inconclusive"), "a finding never passes"
        for check in (row.get_attribute("data-check") or "").split():
            named += 1
            assert cells[(host, check)] == verdict, (host, check, row.inner_text())
    for (host, check), verdict in cells.items():
        if verdict in ("fail", "error", "inconclusive"):
            stage = page.locator(f'tr.device[data-host="{host}"]').get_attribute("data-stage")
            rows = page.locator(f'tr.finding[data-host="{host}"]').all()
            named_here = [r for r in rows if check in (r.get_attribute("data-check") or "").split()]
            assert named_here or stage != "judged", f"{host} {check}: {verdict} without a finding"
    return named
