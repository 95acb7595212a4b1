"""Windows hosts in a real report: the lab audit's page, read in Chromium as a person reads it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.engine.conftest import Audit
from tests.report.conftest import Opened


def host_text(opened: Opened, name: str) -> str:
    """The host's section with every evidence block opened (as a reader clicks them open)."""
    section = opened.page.locator(f"div.host[data-host='{name}']")
    return str(section.evaluate(
        "e => { e.querySelectorAll('details').forEach(d => d.open = true); return e.innerText }"
    ))  # fmt: skip


@pytest.mark.lab
def test_a_uac_filtered_windows_server_reads_as_such(
    lab_audit: Audit, open_report: Callable[..., Opened]
) -> None:
    opened = open_report(lab_audit.out_dir / "testkunde-gmbh.html", "report-windows")
    said = host_text(opened, "winuac")
    for words in (
        "Benutzerkontensteuerung filtert sein Token bei Netzwerkanmeldungen",  # the finding
        "LocalAccountTokenFilterPolicy /t REG_DWORD /d 1",  # the fix, a command to copy
        "Dienst TeamViewer auf automatischen Start stellen",  # stopped, start type Disabled
        "Gruppe Administratoren im Anmeldetoken",  # the admin evidence
        "nur für Verweigerungen (von UAC gefiltert)",
        "LocalAccountTokenFilterPolicy = nicht gesetzt",
        "Installiertes Produkt",
        "TeamViewer Host 15.61.3",
        "Resolver laut den DNS-Einstellungen der Netzwerkadapter",
        "HTTPS (TLS)",  # how the host was reached
        "CN=Auditor Lab CA",
    ):
        assert words in said, words
    assert "resolv.conf" not in said and "teamviewerd" not in said and "sudo" not in said


@pytest.mark.lab
def test_windows_hosts_that_stopped_say_why_in_words(
    lab_audit: Audit, open_report: Callable[..., Opened]
) -> None:
    opened = open_report(lab_audit.out_dir / "testkunde-gmbh.html", "report-windows-stopped")
    expected = {
        "winself": "legt aber ein Zertifikat vor, dem der Rechner des MSP nicht vertraut",
        "windeny": "WinRM verweigert dem Konto den Zugriff",
        "windrop": "wird ohne Antwort getrennt",
        "winslow": "nimmt Verbindungen an, antwortet aber nicht rechtzeitig",
        "win401": "Zugangsdaten ungültig (erstmals festgestellt am",
    }
    for name, words in expected.items():
        assert words in host_text(opened, name), name
    assert "unverschlüsselt (HTTP mit basic)" in host_text(opened, "windomain")  # the note
