"""Hostile strings come out escaped, broken encodings cannot break a page, no secret shows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from auditor.errors import ConnectRefused
from auditor.model import RunResult, Secret
from auditor.report.evidence import replace_unprintable
from auditor.report.write import write_reports
from tests.judged import items, judged, run_of, stopped
from tests.report.conftest import Opened

SCRIPT = '<script>document.title="pwned";alert(1)</script>'
ATTR = "\"'><img src=x onerror=alert(2)>"
CUSTOMER = f'Evil "Kunde" <b>&amp; Co</b> {SCRIPT}'
LONG = "srv-" + "x" * 3000
BROKEN = "caf\udcc3\udca9 \x00\x1b[31m red \x7f end"  # bytes that were not UTF-8 (surrogateescape)
PLANTED = "Planted-Secret-7f3a9c"


def hostile_run() -> RunResult:
    """Hostile names, banners and certificate fields; a Secret where evidence should be.

    Reports only: results.json never sees these (the payload parser accepts
    strict UTF-8 only, and evidence is plain JSON), so only the HTML is written.
    """
    presented = {"issuer": {"commonName": SCRIPT, "organizationName": BROKEN}}
    tls = items("tls", "tls_443", status="verify_failed", presented=presented,
                verify_message=f"odd {ATTR} {BROKEN}")  # fmt: skip
    hostile = judged(SCRIPT, tls, customer=CUSTOMER)
    # a bug that put a Secret into evidence must still not print it
    leaky = tuple(
        dataclasses.replace(c, evidence={**c.evidence, "password": Secret(PLANTED), "banner": BROKEN})
        if c.id == "admin" else c
        for c in hostile.checks
    )  # fmt: skip
    refused = ConnectRefused(f"banner: </details></table>{SCRIPT} {BROKEN}", address=ATTR,
                             port=22, connection=SCRIPT, errno=BROKEN)  # fmt: skip
    return run_of(
        dataclasses.replace(hostile, checks=leaky),
        stopped(ATTR, refused, customer=CUSTOMER, address=ATTR),
        judged(LONG, customer=CUSTOMER, address="198.51.100.99"),
    )


def test_hostile_strings_are_escaped_in_every_output(tmp_path: Path) -> None:
    written = write_reports(hostile_run(), tmp_path, timezone="UTC")
    assert len(written) == 2
    for path in written:
        raw = path.read_bytes()
        html = raw.decode("utf-8")  # strict: the file is valid UTF-8
        assert PLANTED not in html, f"{path.name} shows the planted secret"
        assert "<script" not in html.lower() and "<img" not in html.lower()
        assert "&lt;script&gt;" in html
        assert "\x00" not in html and "\x1b" not in html
        assert "caf\ufffd\ufffd" in html, "undecodable bytes show as replacement characters"


def test_hostile_page_renders_inert_and_fits_the_window(
    tmp_path: Path, open_report: Callable[..., Opened]
) -> None:
    write_reports(hostile_run(), tmp_path, timezone="UTC")
    page_file = next(p for p in tmp_path.glob("*.html") if p.name != "index.html")
    shown = open_report(page_file, "report-hostile", width=1200)
    shown.assert_quiet_and_offline()
    page = shown.page
    assert page.title().startswith("Fernwartungs-Voraussetzungen: Evil"), "title not hijacked"
    assert page.locator("script, img").count() == 0
    assert page.locator("#devices tr.device").count() == 3
    assert SCRIPT in shown.text("#devices"), "the hostile name is shown as text"
    assert "Rogue" not in shown.text(".finding") and SCRIPT in shown.text(".finding")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1200, f"a 3000-character host name must wrap, page is {width}px wide"
    assert PLANTED not in page.content()
    index = open_report(tmp_path / "index.html", "report-hostile-index", width=1200)
    index.assert_quiet_and_offline()
    assert index.page.locator("script, img").count() == 0
    assert index.page.evaluate("document.documentElement.scrollWidth") <= 1200


def test_every_control_and_lone_surrogate_is_replaced_and_nothing_else() -> None:
    """All of Unicode, one code point at a time: C0/C1 controls and lone surrogates become
    U+FFFD (newline and tab survive where lines are kept), every other character stays."""

    def control(code: int) -> bool:
        return code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code <= 0xDFFF

    everything = "".join(map(chr, range(0x110000)))
    flat = replace_unprintable(everything)
    lines = replace_unprintable(everything, keep_lines=True)
    assert len(flat) == len(lines) == 0x110000
    for code in range(0x110000):
        kept = chr(code)
        assert flat[code] == ("\ufffd" if control(code) else kept)
        assert lines[code] == (kept if kept in "\n\t" or not control(code) else "\ufffd")
