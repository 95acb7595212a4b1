"""A real headless Chromium for looking at reports as a person would.

One browser per session (Debian's ``/usr/bin/chromium`` driven by
Playwright), one fresh context per page with JavaScript **off** (reports must
not need it). Every request is intercepted: anything but the page's own file
is recorded and aborted, so a test can assert that nothing leaves the file.
Console messages and page errors are collected. Each opened page is saved as
a full-page screenshot under ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from auditor.model import RunResult
from auditor.report.write import write_reports
from auditor.results.io import write_results

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class Opened:
    """One report page in the browser, with everything it tried to do."""

    page: Page
    url: str
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def assert_quiet_and_offline(self) -> None:
        assert self.console == [], f"console messages: {self.console}"
        assert self.requests == [self.url], f"requests beyond the file: {self.requests}"

    def text(self, selector: str) -> str:
        return " ".join(self.page.locator(selector).all_inner_texts())


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_report(browser: Browser) -> Iterator[Callable[..., Opened]]:
    """``open_report(path, artifact_name) -> Opened``; contexts closed after the test."""
    contexts = []

    def _open(path: Path, artifact: str, width: int = 1400) -> Opened:
        context = browser.new_context(
            java_script_enabled=False, viewport={"width": width, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page, path.resolve().as_uri())

        def route(route: Route) -> None:
            opened.requests.append(route.request.url)
            if route.request.url == opened.url:
                route.continue_()
            else:
                route.abort()

        page.route("**/*", route)
        page.on("console", lambda m: opened.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: opened.console.append(f"pageerror: {e}"))
        page.on("dialog", lambda d: opened.console.append(f"dialog: {d.message}"))
        page.goto(opened.url)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{artifact}.png"), full_page=True)
        return opened

    yield _open
    for context in contexts:
        context.close()


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
