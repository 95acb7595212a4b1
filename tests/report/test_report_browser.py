# ruff: noqa: RUF001  (typographic dashes are what the report shows)
"""Reports from judged results, opened in a real headless Chromium with JavaScript off."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.browser import ARTIFACTS
from tests.report.conftest import (
    Opened,
    assert_findings_agree_with_cells,
    english_outside_evidence,
    text_outside_evidence,
    write_all,
)
from tests.report.samples import demo_run

OpenReport = Callable[..., Opened]


def test_customer_report_reads_verdict_first_then_devices_fixes_and_evidence(
    tmp_path: Path, open_report: OpenReport
) -> None:
    write_all(demo_run(), tmp_path)
    shown = open_report(tmp_path / "baeckerei-sonnenschein.html", "report-customer-de")
    page = shown.page
    shown.assert_quiet_and_offline()

    assert shown.text("#headline") == "✘ 1 von 5 Geräten erfüllen die Voraussetzungen"
    assert (
        shown.text("#roles") == "Server: 1 von 3 · Netzwerkgeräte: 0 von 1 · Arbeitsplätze: 0 von 1"
    )
    assert shown.text("#meta-time") == "25.11.2026, 03:05 MEZ"
    assert shown.text("#meta-profile") == "Servicevertrag – Voraussetzungen, Version 5"
    assert shown.text("#meta-auditor") == "0.1.0"
    assert shown.text("#tasks") == "Zu erledigen: Kunden-IT: 5"

    rows = page.locator("#devices tr.device")
    assert rows.count() == 5
    order = [rows.nth(n).get_attribute("data-host") for n in range(5)]
    assert order == ["fw", "fs1", "kasse", "dc1", "srv-ok"], "problems first, compliant last"
    headers = page.locator("#devices thead th").all_inner_texts()
    assert headers[:4] == ["Gerät", "Adresse", "Rolle", "Prüfstand"]
    assert headers[4:] == ["TeamViewer Host", "5938 TCP", "5938 UDP", "80 TCP", "443 TCP",
                           "TLS 443", "DNS UDP", "DNS TCP", "DNS System", "Admin-Zugang"]  # fmt: skip
    titles = [h.get_attribute("title") for h in page.locator("#devices thead th[data-check]").all()]
    assert titles[0] == "TeamViewer Host installiert, aktiv und uns zugewiesen", "the full title"

    kasse = page.locator('tr.device[data-host="kasse"]')
    assert kasse.locator('td[data-check="tcp_5938"]').inner_text() == "✘ nicht erfüllt"
    assert kasse.locator('td[data-check="udp_5938"]').inner_text() == "? nicht bewiesen"
    assert kasse.locator('td[data-check="teamviewer"]').inner_text() == "– entfällt"
    assert kasse.locator("td").nth(3).inner_text() == "vollständig geprüft"
    fw = page.locator('tr.device[data-host="fw"]')
    assert fw.locator("td").nth(3).inner_text() == "nicht erreichbar"
    assert "✔ erfüllt" not in fw.inner_text(), "an unaudited host never shows a pass"
    for cell in page.locator("#devices td.v").all():
        word = cell.inner_text()
        assert word[0] in "✔✘?!–" and len(word) > 2, "symbol and word, never colour alone"

    findings = shown.text(".finding")
    for fix in (
        "Firewall: ausgehend TCP 5938 zu router*.teamviewer.com, master*.teamviewer.com erlauben.",
        "TLS-Inspektion erkannt, Aussteller: Rogue Intercept CA",
        "Zugangsdaten ungültig (erstmals festgestellt am 20.11.2026) — Verzögerungen durch "
        "fehlende Zugangsdaten "
        "gelten laut Vertrag nicht als Nichterfüllung.",
        "UDP 5938: keine Antwort — offen oder gefiltert, nicht bewiesen.",
        "Den Dienst (ssh) auf dem Gerät aktivieren",
    ):
        assert fix in findings
    owners = set(page.locator(".finding td.owner").all_inner_texts())
    assert owners == {"Kunden-IT"}
    assert page.locator("#host-5 .none").inner_text().startswith("✔ Alle Voraussetzungen")
    assert page.locator("tr.finding[data-code='tls.intercepted'] td.what code").all_inner_texts() == [
        "Rogue Intercept CA", "router1.teamviewer.com", "get.teamviewer.com",
    ], "raw values are shown as code"  # fmt: skip

    details = page.locator("details.evidence")
    assert details.count() == 5
    assert all(d.get_attribute("open") is None for d in details.all()), "summary stays short"
    dc1 = page.locator('.host[data-host="dc1"] details.evidence')
    assert not dc1.locator("table.evidence").first.is_visible()
    dc1.locator("summary").click()  # native <details>: works without JavaScript
    assert dc1.locator("table.evidence").first.is_visible()
    tls = dc1.locator('table.items[data-check="tls_443"]').inner_text()
    assert "router1.teamviewer.com:443" in tls and "203.0.113.10" in tls
    assert tls.count("fremdes Zertifikat (TLS-Inspektion)") == 2
    assert "unable to get local issuer certificate" in tls and "Rogue Intercept CA" in tls
    assert "410,0 ms" in tls
    tv = dc1.locator('table.facts[data-check="teamviewer"]').inner_text()
    assert "teamviewer-host 15.61.3" in tv and "läuft" in tv and "1198765432" in tv
    assert "None" not in dc1.inner_text() and "False" not in dc1.inner_text()
    page.screenshot(path=str(ARTIFACTS / "report-customer-de-evidence-open.png"), full_page=True)


def test_every_finding_agrees_with_the_verdicts_it_explains(
    tmp_path: Path, open_report: OpenReport
) -> None:
    write_all(demo_run(), tmp_path)
    shown = open_report(tmp_path / "baeckerei-sonnenschein.html", "report-customer-invariant")
    assert assert_findings_agree_with_cells(shown.page) >= 4
    stage_rows = shown.page.locator('tr.finding[data-host="fw"]')
    assert stage_rows.count() == 1 and stage_rows.first.get_attribute("data-check") == ""
    assert stage_rows.first.get_attribute("data-code") == "connect.refused"
    assert stage_rows.first.get_attribute("data-verdict") == "error"


def test_german_report_has_no_english_sentence_outside_marked_evidence(
    tmp_path: Path, open_report: OpenReport
) -> None:
    write_all(demo_run(), tmp_path)
    for page_file in ("baeckerei-sonnenschein.html", "index.html"):
        shown = open_report(tmp_path / page_file, f"report-german-{page_file}")
        text = text_outside_evidence(shown.page)
        assert "Befunde und Maßnahmen" in text or "Audit-Übersicht" in text
        assert english_outside_evidence(text) == [], page_file
        marked = shown.page.locator('samp[lang="en"]').all_inner_texts()
        assert any("ECONNREFUSED" in m for m in marked), "the transport's words stay, marked"


def test_english_report(tmp_path: Path, open_report: OpenReport) -> None:
    write_all(demo_run(), tmp_path, lang="en")
    shown = open_report(tmp_path / "baeckerei-sonnenschein.html", "report-customer-en")
    shown.assert_quiet_and_offline()
    assert shown.page.locator("html").get_attribute("lang") == "en"
    assert shown.text("#headline") == "✘ 1 of 5 devices meet the prerequisites"
    assert shown.text("#meta-time") == "2026-11-25 03:05 CET"
    assert "Firewall: allow outbound TCP 5938 to router*.teamviewer.com" in shown.text(".finding")
    assert "Credentials invalid (first seen on 2026-11-20)" in shown.text(".finding")
    assert "? not proven" in shown.text("#devices")
    assert "nicht" not in text_outside_evidence(shown.page)


def test_overview_links_every_customer_and_groups_unaudited_hosts(
    tmp_path: Path, open_report: OpenReport
) -> None:
    written = write_all(demo_run(), tmp_path)
    shown = open_report(tmp_path / "index.html", "report-index-de")
    page = shown.page
    shown.assert_quiet_and_offline()
    rows = page.locator("#customers tr.customer")
    assert rows.count() == 2
    first = rows.nth(0)
    assert first.get_attribute("data-customer") == "Bäckerei Sonnenschein"
    assert first.locator("td").nth(1).inner_text() == "✘ 1 / 5"
    assert first.locator("a.needs-action").all_inner_texts() == ["fw", "fs1", "kasse", "dc1"]
    assert rows.nth(1).locator("td").nth(1).inner_text() == "✔ 1 / 1"
    for link in page.locator("a.report-link, a.needs-action").all():
        href = link.get_attribute("href") or ""
        assert (tmp_path / href.split("#")[0]).is_file()
    assert first.locator("a.needs-action").first.get_attribute("href") == (
        "baeckerei-sonnenschein.html#host-1"
    )
    causes = page.locator("h3.cause").all_inner_texts()
    assert causes == ["Zugangsdaten (1)", "Netzwerk (1)"]
    network = page.locator('table.causes[data-cause="network"] tr[data-host="fw"]').inner_text()
    assert "weist Verbindungen ab" in network and "ECONNREFUSED" in network
    assert page.locator("#results-link").get_attribute("href") == "results.json"
    assert (tmp_path / "results.json").is_file() and len(written) == 3


def test_print_layout_is_a4(tmp_path: Path, open_report: OpenReport) -> None:
    write_all(demo_run(), tmp_path)
    shown = open_report(tmp_path / "baeckerei-sonnenschein.html", "report-customer-screen")
    shown.page.emulate_media(media="print")
    assert not shown.page.locator(".noprint").first.is_visible()
    pdf = shown.page.pdf(prefer_css_page_size=True, print_background=True)
    (ARTIFACTS / "report-customer-de.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    assert b"/MediaBox [0 0 841.91998 594.95996]" in pdf, "A4 landscape from the print stylesheet"
