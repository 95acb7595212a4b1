"""Hostile strings come out escaped, broken encodings cannot break a page, no secret shows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from auditor.model import Check, RunResult, Secret, Stage, Verdict
from auditor.profile import Profile
from auditor.report.write import write_reports
from tests.report.conftest import Opened
from tests.report.samples import INTERCEPTED, host, run_of

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
    issuer = dict(INTERCEPTED.evidence["targets"][0])
    issuer["presented"] = {"issuer": {"commonName": SCRIPT, "organizationName": BROKEN}}
    tls = Check("tls_443", Verdict.FAIL, f"TLS interception suspected ({SCRIPT})",
                {"targets": [issuer]})  # fmt: skip
    leaky = Check("admin", Verdict.ERROR, f"odd {ATTR}",
                  {"password": Secret(PLANTED), "banner": BROKEN})  # fmt: skip
    return run_of(
        host(SCRIPT, customer=CUSTOMER, overrides={"tls_443": tls, "admin": leaky}),
        host(ATTR, customer=CUSTOMER, address=ATTR, stage=Stage.CONNECT,
             stage_reason=f"banner: </details></table>{SCRIPT} {BROKEN}"),
        host(LONG, customer=CUSTOMER, address="198.51.100.99"),
    )  # fmt: skip


def test_hostile_strings_are_escaped_in_every_output(tmp_path: Path, profile: Profile) -> None:
    written = write_reports(hostile_run(), tmp_path, profile=profile, timezone="UTC")
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
    tmp_path: Path, profile: Profile, open_report: Callable[..., Opened]
) -> None:
    write_reports(hostile_run(), tmp_path, profile=profile, timezone="UTC")
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
