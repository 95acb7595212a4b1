"""The report groups and words the judge's findings; it never decides them.

Hosts come from tests/judged.py (observations judged by the real judge), so
these tests see exactly the findings the judge gives.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from auditor.errors import (
    AuthError,
    ConnectRefused,
    ConnectTimeout,
    CredentialsMissing,
    HostKeyChanged,
)
from auditor.history.changes import HostChanges, RunChanges
from auditor.judge.codes import CODES, finding
from auditor.model import HostResult, Role, Verdict
from auditor.report.finding import Described, HostFinding, describe, host_findings, patterns
from auditor.report.view import ReportOptions, credential_since, host_view
from auditor.report.words import Words
from tests.judged import PROFILE, items, judged, queries, run_of, sinkholed, stopped
from tests.report.samples import AUTH_REFUSED, FILTERED_5938, INTERCEPTED, UDP_SILENT

ORDER = list(PROFILE.checks)
LABELS = {"de": {c.id: c.label["de"] for c in PROFILE.check_infos},
          "en": {c.id: c.label["en"] for c in PROFILE.check_infos}}  # fmt: skip
AUDIT = datetime(2026, 11, 25, 3, 5, tzinfo=UTC)


def found(host: HostResult) -> tuple[HostFinding, ...]:
    return host_findings(host, ORDER)


def said(item: HostFinding, lang: str = "de", since: str = "25.11.2026") -> tuple[str, str]:
    words = describe(item, Words(lang), LABELS[lang], since)
    return Described.plain(words.what), Described.plain(words.fix)


def test_compliant_host_has_no_findings_and_not_applicable_is_no_problem() -> None:
    assert found(judged("ok")) == ()
    assert found(judged("nas", role=Role.NETWORK)) == ()
    assert found(judged("ws", role=Role.WORKSTATION)) == ()


def test_each_finding_is_the_judges_with_the_checks_it_explains() -> None:
    host = judged("kasse", FILTERED_5938, UDP_SILENT, INTERCEPTED)
    assert [(f.code, f.check_ids, f.finding.verdict) for f in found(host)] == [
        ("tcp.filtered", ("tcp_5938",), Verdict.FAIL),
        ("tls.intercepted", ("tls_443",), Verdict.FAIL),
        ("udp.no_answer", ("udp_5938",), Verdict.INCONCLUSIVE),
    ]
    for item in found(host):
        check = next(c for c in host.checks if c.id == item.check_ids[0])
        assert item.finding in check.findings, "the report shows the judge's finding, unchanged"


def test_equal_problems_of_different_checks_merge() -> None:
    """TCP 443 refused, seen by the tcp and the tls check, is one problem naming both."""
    refused = [items(k, c, status="refused", errno_name="ECONNREFUSED")
               for k, c in (("tcp", "tcp_443"), ("tls", "tls_443"))]  # fmt: skip
    (merged,) = found(judged("h", *refused))
    assert (merged.code, merged.check_ids) == ("tcp.refused", ("tcp_443", "tls_443"))
    assert merged.finding.targets == (
        "router1.teamviewer.com", "router2.teamviewer.com", "master1.teamviewer.com",
        "get.teamviewer.com",
    )  # fmt: skip
    what, fix = said(merged)
    assert what.startswith("Ausgehende Verbindungen auf TCP 443 werden abgewiesen: router1.")
    assert fix == (
        "Firewall: ausgehend TCP 443 zu router*.teamviewer.com, master*.teamviewer.com, "
        "get.teamviewer.com erlauben."
    )


def test_a_resolver_failing_over_udp_and_tcp_is_one_problem() -> None:
    (both,) = found(judged("h", queries(status="blocked_locally", rcode=None, answers=[])))
    assert both.check_ids == ("dns_udp", "dns_tcp") and set(both.transports) == {"udp", "tcp"}
    assert said(both)[0] == (
        "Die Firewall des Geräts selbst blockiert DNS über UDP und TCP zu 203.0.113.53."
    )
    assert said(both, "en")[0].endswith("over UDP and TCP to 203.0.113.53.")


def test_a_sinkholing_resolver_names_the_isp_and_the_untestable_ports() -> None:
    host = judged("nas", sinkholed(), role=Role.NETWORK)
    codes = [(f.code, f.finding.owner.value, f.check_ids) for f in found(host)]
    assert codes == [
        ("dns.sinkhole", "isp", ("dns_udp", "dns_tcp")),
        ("dns_system.sinkhole", "customer_it", ("dns_system",)),
        ("target.sinkhole", "customer_it", ("tcp_5938", "tcp_80", "tcp_443", "tls_443")),
    ]
    what, fix = said(found(host)[0])
    assert "203.0.113.53 liefert über UDP und TCP für router1.teamviewer.com" in what
    assert "die Adresse 0.0.0.0 — eine Sperr- oder ungültige Adresse" in what
    assert fix.startswith("Sperre für router*.teamviewer.com")


def test_a_refused_login_is_one_finding_with_since() -> None:
    host = stopped("fs1", AUTH_REFUSED, observed_at="2026-11-20T08:00:00+00:00")
    (only,) = found(host)
    assert (only.code, only.check_ids) == ("credentials.refused", ("admin",))
    since = credential_since(host, AUDIT, ReportOptions(tz=ZoneInfo("Europe/Berlin")))
    assert since == "erstmals festgestellt am 20.11.2026"  # no history: no streak implied
    what, _ = said(only, since=since)
    assert what.startswith("Zugangsdaten ungültig (erstmals festgestellt am 20.11.2026) — "
                           "Verzögerungen durch fehlende")  # fmt: skip
    assert "laut Vertrag nicht als Nichterfüllung" in what


def history_of(host: HostResult, since: datetime, started: datetime = AUDIT) -> RunChanges:
    """What history would say of ``host``: credentials wanting since ``since``."""
    known = HostChanges(host.customer, host.name, False, (), since, since >= started)
    return RunChanges("r2", started, since, {(host.customer, host.name): known})


def test_credentials_since_uses_history_then_observation_then_audit_time() -> None:
    host = stopped("fs1", AUTH_REFUSED, observed_at="2026-11-20T08:00:00+00:00")
    history = ReportOptions(changes=history_of(host, datetime(2026, 10, 1, 9, 0, tzinfo=UTC)))
    assert credential_since(host, AUDIT, history) == "seit 01.10.2026"  # a proven streak
    today = ReportOptions(changes=history_of(host, AUDIT))  # the streak begins this run
    assert credential_since(host, AUDIT, today) == "erstmals festgestellt am 20.11.2026"
    english = ReportOptions(lang="en")
    assert credential_since(host, AUDIT, english) == "first seen on 2026-11-20"
    no_date = stopped("x", AuthError("refused", user="audit"), observed_at="")
    assert (
        credential_since(no_date, AUDIT, ReportOptions()) == "erstmals festgestellt am 25.11.2026"
    )


def test_unaudited_host_shows_its_stage_finding_only() -> None:
    refused = ConnectRefused("TCP 198.51.100.15:22 refused", address="198.51.100.15", port=22,
                             connection="ssh", errno="ECONNREFUSED")  # fmt: skip
    (only,) = found(stopped("fw", refused, role=Role.NETWORK))
    assert (only.code, only.check_ids, only.finding.owner.value) == (
        "connect.refused",
        (),
        "customer_it",
    )
    assert said(only)[0] == (
        "Der Verwaltungszugang (ssh, 198.51.100.15 Port 22) weist Verbindungen ab; "
        "das Gerät wurde nicht geprüft."
    )
    via = ConnectTimeout("no answer", address="198.51.100.30", port=22, connection="ssh",
                         timeout_s=3.0, via="jump1")  # fmt: skip
    what, fix = said(found(stopped("behind", via))[0])
    assert "3 s gewartet" in what and what.endswith("(über den Sprungserver jump1).")
    assert "Port 22" in fix


def test_a_changed_host_key_is_listed_first_as_a_security_finding() -> None:
    host = stopped("h", HostKeyChanged("host key differs", address="198.51.100.9"), security=True)
    (only,) = found(host)
    assert only.finding.severity.value == "security"
    assert said(only)[0].startswith("Sicherheitsbefund:")


def test_findings_are_sorted_worst_first_then_by_column() -> None:
    host = judged("h", UDP_SILENT, INTERCEPTED, items("tcp", "tcp_80", status="resolve_failed",
                                                      gai_name="EAI_NONAME"))  # fmt: skip
    assert [f.finding.verdict for f in found(host)] == [
        Verdict.FAIL, Verdict.ERROR, Verdict.INCONCLUSIVE,
    ]  # fmt: skip


def test_missing_credentials_say_missing() -> None:
    missing = CredentialsMissing("refused: no password and no key file", user="audit")
    (only,) = found(stopped("n", missing))
    assert only.code == "credentials.missing"
    assert said(only)[0].startswith("Zugangsdaten fehlen (")


@pytest.mark.parametrize("code", sorted(c for c, e in CODES.items() if e.owner is not None))
def test_every_finding_code_reads_in_both_languages(code: str) -> None:
    """Every parameter the code declares filled: no ellipsis, German differs from English."""
    params = {name: SAMPLE[name] for name in CODES[code].params if name != "via"}
    item = HostFinding(finding(code, ("router1.teamviewer.com",), params), ("tcp_5938",), ("udp",))
    de, en = said(item, "de"), said(item, "en")
    for text in (*de, *en):
        assert "…" not in text and "None" not in text, (code, text)
    assert de != en


SAMPLE = {
    "proto": "TCP", "port": 5938, "timeout_s": 4.0, "issuer": "Rogue CA", "resolver": "203.0.113.53",
    "transport": "udp", "resolv_conf": "/etc/resolv.conf", "tool": "nslookup", "rcode": "REFUSED",
    "address": "0.0.0.0", "user": "audit", "observed_at": "2026-11-20T08:00:00+00:00",
    "source": "hosts.yml", "line": 3, "connection": "ssh", "errno": "EHOSTUNREACH",
    "stage": "connect", "error": "KeyError", "offered": "kex: diffie-hellman-group1-sha1",
    "server": "SSH-2.0-OpenSSH_7.4", "algorithms": "kex: diffie-hellman-group14-sha1",
    "resolvers_from": "adapters", "reason": "self-signed certificate", "subject": "CN=WIN-FS01",
    "status": 404, "path": "/wsman", "start_mode": "Disabled", "auth": "basic",
    "hosts_file": "/etc/hosts", "level": 7, "highest": 15, "role": "read-only",
    "message": "% No password set", "wanted": "super-user",
    "direct_port": 5938, "routers": 16, "answered_direct": 3, "answered_port": 16,
    "ports": "5938, 443, 80",
}  # fmt: skip


def test_a_windows_resolver_finding_names_the_adapters_not_resolv_conf() -> None:
    params = {"resolver": "203.0.113.54", "transport": "udp", "resolvers_from": "adapters"}
    item = HostFinding(finding("dns.servfail", ("router1.teamviewer.com",), params), ("dns_udp",))
    _, fix = said(item, "de")
    assert "in den DNS-Einstellungen der Netzwerkadapter" in fix and "resolv.conf" not in fix
    assert "the network adapters' DNS settings" in said(item, "en")[1]


def test_raw_values_are_marked_as_such() -> None:
    host = judged("dc1", INTERCEPTED)
    words = describe(found(host)[0], Words("de"), LABELS["de"], "")
    raw = [s.text for s in words.what if s.raw]
    assert raw == ["Rogue Intercept CA", "router1.teamviewer.com", "get.teamviewer.com"]
    assert not any(s.raw for s in words.what if "TLS-Inspektion" in s.text)


def test_patterns_wildcard_numbered_names_only() -> None:
    assert patterns(["router1.teamviewer.com", "router16.teamviewer.com", "get.teamviewer.com",
                     "203.0.113.20"]) == (
        "router*.teamviewer.com", "get.teamviewer.com", "203.0.113.20",
    )  # fmt: skip


def test_address_shows_the_port_only_when_it_is_not_the_usual_one() -> None:
    """Hosts behind one site gateway share its address; the port forward tells them apart."""
    plain = judged("srv")
    forwarded = replace(plain, name="far", address="203.0.113.201",
                        access={"transport": "ssh", "port": 22015})  # fmt: skip
    usual = replace(plain, name="near", address="203.0.113.201",
                    access={"transport": "ssh", "port": 22})  # fmt: skip
    windows = replace(plain, name="win", address="2001:db8::5",
                      access={"transport": "winrm", "port": 5986})  # fmt: skip
    v6 = replace(plain, name="v6", address="2001:db8::7", access={"transport": "ssh", "port": 2222})
    run = run_of(plain, forwarded, usual, windows, v6)
    shown = [host_view(run, h, i, ReportOptions()).address for i, h in enumerate(run.hosts)]
    assert shown[1:] == [
        "203.0.113.201:22015",
        "203.0.113.201",
        "2001:db8::5",
        "[2001:db8::7]:2222",
    ]
