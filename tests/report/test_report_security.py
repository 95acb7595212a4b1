"""Security findings stand first on the overview: a changed host key, interception, a
hijacked resolver; failures that are only failures do not."""

from __future__ import annotations

import re

from auditor.errors import HostKeyChanged
from auditor.judge.codes import CODES, is_security
from auditor.report.overview import customer_pages, overview_view
from auditor.report.render import render_index
from auditor.report.view import ReportOptions
from auditor.report.when import zone
from tests.judged import judged, run_of, sinkholed, stopped
from tests.report.samples import FILTERED_5938, INTERCEPTED


def _run():  # type: ignore[no-untyped-def]
    return run_of(
        judged("ok"),
        judged("slow", FILTERED_5938),
        judged("mitm", INTERCEPTED, FILTERED_5938),
        judged("hijacked", sinkholed()),
        stopped("moved", HostKeyChanged("host key differs", address="198.51.100.9"),
                security=True),
    )  # fmt: skip


def test_only_security_codes_are_security_findings() -> None:
    flagged = sorted(code for code in CODES if is_security(code))
    assert flagged == sorted([
        "dns.sinkhole", "dns_system.sinkhole", "hostkey.changed", "ssh.algorithms_outdated",
        "tls.intercepted", "udp.intercepted", "winrm.certificate_untrusted",
    ])  # fmt: skip
    assert not is_security("tcp.filtered") and not is_security("no.such.code")


def test_the_overview_lists_them_first_once_per_host_and_code() -> None:
    run = _run()
    options = ReportOptions(lang="en", tz=zone("UTC"))
    view = overview_view(run, customer_pages(run), options)
    found = {(line.name, "".join(s.text for s in line.what)) for line in view.security}
    assert {name for name, _ in found} == {"mitm", "hijacked", "moved"}
    assert len([n for n, _ in found if n == "hijacked"]) <= 2  # dns and dns_system at most
    html = render_index(run, customer_pages(run), options)
    assert html.index('id="security"') < html.index('id="customers"')
    rows = re.findall(r'<tr class="security-finding" data-host="([^"]+)"', html)
    assert sorted(set(rows)) == ["hijacked", "mitm", "moved"] and "slow" not in rows
    assert "Security findings" in html


def test_a_fleet_without_security_findings_has_no_such_section() -> None:
    run = run_of(judged("ok"), judged("slow", FILTERED_5938))
    html = render_index(run, customer_pages(run), ReportOptions(lang="de", tz=zone("UTC")))
    assert 'id="security"' not in html and "Sicherheitsbefunde" not in html
