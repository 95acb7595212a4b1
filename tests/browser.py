"""A real headless Chromium for looking at pages as a person would (reports, mailed reports).

One browser per test module (Debian's ``/usr/bin/chromium`` driven by
Playwright), registered by tests/conftest.py so that every folder can use it;
one fresh context per page with JavaScript **off** (reports must not need
it). Every request is intercepted: anything but the page's own file is
recorded and aborted, so a test can assert that nothing leaves the file.
Console messages and page errors are collected. Each opened page is saved as
a full-page screenshot under ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module that looks at pages (about half a second each).

    Not per session: Playwright's sync API keeps an event loop running on the
    main thread while it is open, and every later test that calls
    ``asyncio.run`` (the reflector's, the engine's) would fail with "cannot be
    called from a running event loop". A package's browser closes when its
    tests are done.
    """
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
