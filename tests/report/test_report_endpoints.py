"""The TeamViewer endpoints diagnostic in a host's evidence, and its note, in words.

The report renders what the judge decided (outcome, counts, reasons); hosts
come from observation documents through the real judge (tests/judged.py).
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

from auditor.report.view import ReportOptions, host_view
from auditor.report.write import write_reports
from tests.judged import judged, run_of

SCRIPT = '<script>alert("x")</script>'


def port_fails(port: int, **fields: Any) -> Any:
    """Every TCP item on ``port`` (checks' and the diagnostic's) gets ``fields``."""

    def change(doc: dict[str, Any]) -> None:
        for item in doc["tcp"]:
            if item["port"] == port:
                item.update(fields)

    return change


FILTERED = {"status": "timeout", "phase": "connect", "errno_name": "ETIMEDOUT"}


def test_a_direct_host_says_so_with_its_counts() -> None:
    run = run_of(judged("srv1"))
    view = host_view(run, run.hosts[0], 1, ReportOptions(lang="de"))
    (diag,) = view.diagnostics
    assert (diag.diagnostic_id, diag.outcome) == ("teamviewer_endpoints", "direct")
    assert diag.title.startswith("TeamViewer-Endpunkte")
    facts = {f.label: f.text for f in diag.facts}
    assert facts["Ergebnis"] == (
        "Alle beobachteten Router antworten auf Port 5938: TeamViewer verbindet sich direkt."
    )
    assert facts["Je Port"] == ("5938: 16 von 16 Routern · 443: 16 von 16 Routern, "
                                "10 von 10 Diensten · 80: 16 von 16 Routern")  # fmt: skip
    assert diag.rows == ()  # only what did not answer is listed
    assert view.notes == ()


def test_5938_blocked_reads_as_a_fallback_to_443_with_a_note() -> None:
    run = run_of(judged("srv2", port_fails(5938, **FILTERED)))
    view = host_view(run, run.hosts[0], 1, ReportOptions(lang="en"))
    (diag,) = view.diagnostics
    assert diag.outcome == "fallback_443"
    facts = {f.label: f.text for f in diag.facts}
    assert facts["Result"].startswith("Port 5938 does not answer from every router, but port "
                                      "443 does: TeamViewer still connects")  # fmt: skip
    assert facts["Per port"] == ("5938: 0 of 16 routers · 443: 16 of 16 routers, "
                                 "10 of 10 services · 80: 16 of 16 routers")  # fmt: skip
    assert len(diag.rows) == 16
    assert {(r.result, r.raw) for r in diag.rows} == {("no answer (filtered)", "ETIMEDOUT")}
    (note,) = view.notes
    assert (note.code, note.owner) == ("teamviewer.endpoints_fallback", "customer_it")
    said = "".join(s.text for s in note.what)
    assert said == ("Note: outbound TCP 5938 reaches 0 of 16 TeamViewer routers; TeamViewer "
                    "still connects over port 443 (16 of 16 routers answer), though slower.")  # fmt: skip


def test_the_page_shows_the_line_and_the_note(tmp_path: Path) -> None:
    run = run_of(
        judged("srv-direct"),
        judged("srv-fallback", port_fails(5938, **FILTERED)),
        judged("srv-none", port_fails(5938, **FILTERED), port_fails(443, **FILTERED),
               port_fails(80, status="refused", errno_name=SCRIPT)),
    )  # fmt: skip
    (page,) = [p for p in write_reports(run, tmp_path, timezone="UTC") if "index" not in p.name]
    html = page.read_text("utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html  # a host's words stay text
    blocks = dict(re.findall(r'data-host="([^"]+)">(.*?)</details>', html, re.S))
    for host, outcome in (("srv-direct", "direct"), ("srv-fallback", "fallback_443"),
                          ("srv-none", "none")):  # fmt: skip
        assert f'data-diagnostic="teamviewer_endpoints" data-outcome="{outcome}"' in blocks[host]
    fallback = unescape(re.sub(r"<[^>]+>", " ", blocks["srv-fallback"]))
    assert "TeamViewer-Endpunkte" in fallback
    assert ("5938: 0 von 16 Routern · 443: 16 von 16 Routern, 10 von 10 Diensten · "
            "80: 16 von 16 Routern") in fallback  # fmt: skip
    assert "TeamViewer verbindet sich trotzdem" in fallback
    notes = re.findall(r'<tr class="note" data-host="([^"]+)" data-code="([^"]+)"', html)
    assert ("srv-fallback", "teamviewer.endpoints_fallback") in notes
    assert ("srv-none", "teamviewer.endpoints_none") in notes
    assert not [n for n in notes if n[0] == "srv-direct"]
    none = unescape(re.sub(r"<[^>]+>", " ", blocks["srv-none"]))
    assert "Kein Router antwortet, auf keinem Port" in none
    assert "abgewiesen (RST)" in none
