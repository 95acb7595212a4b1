"""Network devices in a real report: the lab audit's page, read in Chromium as a person reads it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.engine.conftest import Audit
from tests.report.conftest import Opened
from tests.report.test_report_windows import host_text


@pytest.mark.lab
def test_a_switch_at_level_7_reads_as_such(
    lab_audit: Audit, open_report: Callable[..., Opened]
) -> None:
    opened = open_report(lab_audit.out_dir / "testkunde-gmbh.html", "report-devices")
    said = host_text(opened, "ios7")
    for words in (
        "arbeitet auf dem Gerät mit Berechtigungsstufe 7, die höchste ist 15",  # the finding
        "ansible_become_method: enable",  # the fix names what the MSP sets
        "Cisco IOS / IOS XE, C9300-24T, Version 17.09.04a",  # as the device reports itself
        "7 von 15",
        "show privilege → Current privilege level is 7",
        "nicht angefordert (kein ansible_become im Inventar)",
        # which checks a device cannot have, and why, next to it
        "Entfällt: TeamViewer Host — verlangt der Vertrag nicht für Netzwerkgeräte.",
        "das Gerät wird über seine Kommandozeile geprüft und kann keine Messung ausführen",
    ):
        assert words in said, words
    assert "{" not in said and "None" not in said


@pytest.mark.lab
def test_device_role_findings_name_the_role_wanted(
    lab_audit: Audit, open_report: Callable[..., Opened]
) -> None:
    opened = open_report(lab_audit.out_dir / "testkunde-gmbh.html", "report-devices-roles")
    junos = host_text(opened, "junosro")
    assert "nur die lesende Rolle read-only" in junos
    assert "die höchste Administratorrolle super-user geben" in junos
    assert "Permissions: view view-configuration" in junos
    forti = host_text(opened, "fortiprof")
    assert "die Rolle prof_admin, nicht die höchste Administratorrolle" in forti
    assert 'set accprofile "prof_admin"' in forti and "ENC" not in forti
    badsec = host_text(opened, "iosbadsec")
    assert "das Gerät lehnt das hinterlegte enable-Secret ab" in badsec
    cell = opened.page.locator("td[data-host='nxosop'][data-check='dns_udp']")
    assert "Kommandozeile" in str(cell.get_attribute("title"))
