"""Reports from a real lab audit: ``auditor run`` over SSH, then the pages in Chromium.

A small slice of the test lab (one host per kind of fault) is audited with a
hostile customer name and a host whose inventory password is a planted
secret (it is wrong, so the host stops at stage ``auth``). Every file the run
writes is searched for the secret.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml

from auditor.lab import Lab
from auditor.lab.inventory import write_inventory
from tests.engine.conftest import Audit, audit_lab
from tests.report.conftest import (
    Opened,
    assert_findings_agree_with_cells,
    english_outside_evidence,
    text_outside_evidence,
)

KEEP = ("good", "tcp5938", "intercept", "hijack", "udp5938", "nossh")
HOSTILE_CUSTOMER = 'Böse <script>alert("kunde")</script> & Co'
PLANTED = "Planted-Lab-Secret-4711"


@pytest.fixture(scope="module")
def report_audit(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Audit:
    work = tmp_path_factory.mktemp("report-audit")
    inventory = write_inventory(lab, work / "inventory.yml")
    data = yaml.safe_load(inventory.read_text(encoding="utf-8"))
    group = next(iter(data["all"]["children"].values()))
    group["hosts"] = {name: v for name, v in group["hosts"].items() if name in KEEP}
    good = lab.host("good").address
    group["hosts"]["planted"] = {
        "ansible_host": good, "ansible_user": "audit", "ansible_password": PLANTED,
        "ansible_become_password": PLANTED, "auditor_customer": HOSTILE_CUSTOMER,
    }  # fmt: skip
    inventory.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return audit_lab(lab, work, "--timezone", "Europe/Berlin", inventory=inventory)


@pytest.mark.lab
def test_lab_reports_show_real_verdicts_and_fixes(
    report_audit: Audit, open_report: Callable[..., Opened]
) -> None:
    out = report_audit.out_dir
    shown = open_report(out / "testkunde-gmbh.html", "report-lab-customer")
    shown.assert_quiet_and_offline()
    page = shown.page
    assert page.locator("#devices tr.device").count() == len(KEEP)
    assert shown.text("#headline").endswith(f"von {len(KEEP)} Geräten erfüllen die Voraussetzungen")
    assert shown.text("#meta-time").endswith(("MEZ", "MESZ"))
    first = page.locator("#devices tr.device").first
    assert first.get_attribute("data-host") == "nossh", "the unaudited host comes first"
    assert first.get_attribute("data-stage") == "connect"
    findings = shown.text(".finding")
    assert (
        "Firewall: ausgehend TCP 5938 zu router*.teamviewer.com, master*.teamviewer.com" in findings
    )
    assert "TLS-Inspektion erkannt, Aussteller: Rogue Intercept CA" in findings
    assert "liefert über UDP und TCP für" in findings and "0.0.0.0" in findings
    assert "UDP 5938: keine Antwort — offen oder gefiltert, nicht bewiesen." in findings
    udp = page.locator('tr.device[data-host="udp5938"] td[data-check="udp_5938"]')
    assert udp.inner_text() == "? nicht bewiesen"
    assert page.locator("details.evidence").count() == len(KEEP)

    index = open_report(out / "index.html", "report-lab-index")
    index.assert_quiet_and_offline()
    customers = index.page.locator("#customers tr.customer")
    assert customers.count() == 2
    assert index.page.locator("h3.cause").all_inner_texts() == ["Zugangsdaten (1)", "Netzwerk (1)"]


@pytest.mark.lab
def test_lab_outputs_hold_no_secret_and_escape_the_customer(
    report_audit: Audit, open_report: Callable[..., Opened]
) -> None:
    files = sorted(report_audit.out_dir.iterdir())
    assert {p.suffix for p in files} == {".html", ".json"}
    history = report_audit.out_dir.parent / ".local" / "state" / "auditor"
    stored = sorted(history.glob("history.sqlite*"))
    assert stored, "the run's history store (HOME is the work folder)"
    for path in (*files, *stored):
        assert PLANTED.encode() not in path.read_bytes(), path.name
    assert PLANTED not in report_audit.stdout + report_audit.stderr
    hostile = next(p for p in files if p.name.startswith("boese"))
    html = hostile.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html
    shown = open_report(hostile, "report-lab-hostile")
    shown.assert_quiet_and_offline()
    assert "Zugangsdaten ungültig (erstmals festgestellt am" in shown.text(".finding")
    assert shown.page.locator("script").count() == 0


@pytest.mark.lab
def test_lab_report_findings_never_contradict_their_verdicts(
    lab_audit: Audit, open_report: Callable[..., Opened]
) -> None:
    """The whole lab, BusyBox host included: every finding row has the verdict of the
    checks it names, and every open check of an audited host has a finding."""
    shown = open_report(lab_audit.out_dir / "testkunde-gmbh.html", "report-lab-all")
    shown.assert_quiet_and_offline()
    assert assert_findings_agree_with_cells(shown.page) > 30
    busybox = shown.page.locator('tr.finding[data-host="busybox"][data-check~="dns_udp"]')
    assert busybox.get_attribute("data-verdict") == "inconclusive"
    assert busybox.get_attribute("data-code") == "dns.answer_unverified"
    assert busybox.get_attribute("data-owner") == "msp"
    said = busybox.inner_text()
    assert "nicht bewiesen" in said and "gefälscht" not in said and "Umleitung" not in said


@pytest.mark.lab
def test_lab_reports_in_german_have_no_english_sentence(
    lab_audit: Audit, open_report: Callable[..., Opened]
) -> None:
    for page in sorted(lab_audit.out_dir.glob("*.html")):
        shown = open_report(page, f"report-lab-german-{page.stem}")
        text = text_outside_evidence(shown.page)
        assert english_outside_evidence(text) == [], page.name
